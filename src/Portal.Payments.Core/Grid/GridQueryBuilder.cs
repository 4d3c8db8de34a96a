using System.Globalization;
using System.Linq.Expressions;
using System.Reflection;
using Portal.Payments.Data;
using Portal.Payments.Hosting;
using Portal.Payments.Services;

namespace Portal.Payments.Grid;

/// <summary>How a grid field is stored, which decides how its filter value is parsed and compared.</summary>
internal enum GridFieldKind
{
    /// <summary>Text through a normalized search-key column (<see cref="SearchKeys"/>): case-insensitive, ordinal, index-friendly.</summary>
    Text,
    /// <summary>Money stored as integer minor units; filter values are decimals in the currency ("1234.50").</summary>
    Money,
    /// <summary>A <see cref="DateOnly"/>, or a UTC <see cref="DateTime"/> compared by whole days; filter values are "yyyy-MM-dd".</summary>
    Date,
    /// <summary>An enum; filter values are member names (case-insensitive).</summary>
    Enum,
    /// <summary>An integer count.</summary>
    Int,
}

/// <summary>One filterable, sortable field of a grid.</summary>
/// <param name="Name">Field name used by <see cref="GridFilter"/> and <see cref="GridSort"/>.</param>
/// <param name="Title">Friendly name for messages and CSV headers.</param>
/// <param name="Kind">Storage kind.</param>
/// <param name="Column">The record's column (for <see cref="GridFieldKind.Text"/>, its search key).</param>
internal sealed record GridField(string Name, string Title, GridFieldKind Kind, LambdaExpression Column);

/// <summary>
/// Turns a <see cref="GridQuery"/> into LINQ on <typeparamref name="TRecord"/> that EF Core translates to SQL: column filters,
/// general search over search keys (anywhere in a field through the database's substring index when the grid's service
/// supplies one and the search has <see cref="ContainsSearchMinLength"/> characters or more, else by prefix), multi-column
/// sort with the id as the final tie-breaker, and paging.
/// Every value goes into the expression through a holder object, so EF sends it as a parameter and the SQL text
/// (and the compiled query) is the same whatever the user typed. Build one per grid and reuse it (it is immutable
/// after construction and thread-safe).
/// </summary>
/// <typeparam name="TRecord">Entity the grid reads.</typeparam>
internal sealed class GridQueryBuilder<TRecord>
{
    /// <summary>Largest page a grid may ask for.</summary>
    public const int MaxPageSize = 500;

    /// <summary>Most column filters, and most sort keys, one query may carry.</summary>
    public const int MaxConditions = 40;

    /// <summary>
    /// The shortest general search matched anywhere in a field (a trigram: the substring indexes need three characters);
    /// a shorter search matches the start of a field.
    /// </summary>
    public const int ContainsSearchMinLength = 3;

    private static readonly MethodInfo StringCompare = typeof(string).GetMethod(nameof(string.Compare), [typeof(string), typeof(string)])!;
    private static readonly MethodInfo StringContains = typeof(string).GetMethod(nameof(string.Contains), [typeof(string)])!;

    private readonly Dictionary<string, GridField> _fields = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<Expression<Func<TRecord, string>>> _searchKeys = [];
    private readonly List<(LambdaExpression Children, LambdaExpression Key, Type Child)> _childSearches = [];
    private readonly LambdaExpression _id;

    /// <summary>Starts a builder whose stable tie-breaker (last sort key) is the numeric <paramref name="id"/>.</summary>
    public GridQueryBuilder(Expression<Func<TRecord, long>> id) => _id = id;

    /// <summary>Starts a builder whose stable tie-breaker (last sort key) is the <see cref="Guid"/> <paramref name="id"/>.</summary>
    public GridQueryBuilder(Expression<Func<TRecord, Guid>> id) => _id = id;

    /// <summary>The fields, by name (case-insensitive).</summary>
    public IReadOnlyDictionary<string, GridField> Fields => _fields;

    /// <summary>Adds a text field filtered and sorted through its normalized search-key column.</summary>
    public GridQueryBuilder<TRecord> Text(string name, string title, Expression<Func<TRecord, string>> searchKey) => Add(name, title, GridFieldKind.Text, searchKey);

    /// <summary>Adds a money field stored in minor units.</summary>
    public GridQueryBuilder<TRecord> Money(string name, string title, Expression<Func<TRecord, long>> minorUnits) => Add(name, title, GridFieldKind.Money, minorUnits);

    /// <summary>Adds an optional money field stored in minor units.</summary>
    public GridQueryBuilder<TRecord> Money(string name, string title, Expression<Func<TRecord, long?>> minorUnits) => Add(name, title, GridFieldKind.Money, minorUnits);

    /// <summary>Adds a date field.</summary>
    public GridQueryBuilder<TRecord> Date(string name, string title, Expression<Func<TRecord, DateOnly>> column) => Add(name, title, GridFieldKind.Date, column);

    /// <summary>Adds an optional date field.</summary>
    public GridQueryBuilder<TRecord> Date(string name, string title, Expression<Func<TRecord, DateOnly?>> column) => Add(name, title, GridFieldKind.Date, column);

    /// <summary>Adds a UTC timestamp field filtered by whole days (a date value means that UTC day).</summary>
    public GridQueryBuilder<TRecord> Date(string name, string title, Expression<Func<TRecord, DateTime>> column) => Add(name, title, GridFieldKind.Date, column);

    /// <summary>Adds an optional UTC timestamp field filtered by whole days.</summary>
    public GridQueryBuilder<TRecord> Date(string name, string title, Expression<Func<TRecord, DateTime?>> column) => Add(name, title, GridFieldKind.Date, column);

    /// <summary>Adds an enum field.</summary>
    public GridQueryBuilder<TRecord> Enum<TEnum>(string name, string title, Expression<Func<TRecord, TEnum>> column) where TEnum : struct, System.Enum =>
        Add(name, title, GridFieldKind.Enum, column);

    /// <summary>Adds an integer field.</summary>
    public GridQueryBuilder<TRecord> Int(string name, string title, Expression<Func<TRecord, int>> column) => Add(name, title, GridFieldKind.Int, column);

    /// <summary>Adds a search-key column that the general search matches by prefix (any of them, OR).</summary>
    public GridQueryBuilder<TRecord> SearchOn(Expression<Func<TRecord, string>> searchKey)
    {
        _searchKeys.Add(searchKey);
        return this;
    }

    /// <summary>
    /// Adds a general-search match on child rows: a record matches when any of its <paramref name="children"/> has a
    /// <paramref name="searchKey"/> starting with the search (an EXISTS subquery).
    /// </summary>
    public GridQueryBuilder<TRecord> SearchOn<TChild>(Expression<Func<TRecord, IEnumerable<TChild>>> children, Expression<Func<TChild, string>> searchKey)
    {
        _childSearches.Add((children, searchKey, typeof(TChild)));
        return this;
    }

    /// <summary>The field called <paramref name="name"/>, or a validation error naming the grid's fields.</summary>
    public GridField Field(string? name, string inputName = "field") =>
        name is not null && _fields.TryGetValue(name, out var field)
            ? field
            : throw PortalFieldError.Of(inputName, "GridNoColumn", "The grid has no column called \"{0}\". Columns: {1}.",
                name is { Length: > 40 } ? name[..40] + "…" : name ?? "", string.Join(", ", _fields.Values.Select(f => f.Title))).ToException();

    /// <summary>Applies the general search (by prefix) and every filter (AND). Money values are read in <paramref name="currency"/>.</summary>
    public IQueryable<TRecord> Filter(IQueryable<TRecord> source, GridQuery query, CurrencyInfo currency) => Filter(source, query, currency, null);

    /// <summary>
    /// Applies the general search and every filter (AND). A search of <see cref="ContainsSearchMinLength"/> characters or more
    /// uses <paramref name="containsSearch"/> (given the normalized search key, a predicate the database answers from its
    /// substring index) when there is one; otherwise the search matches the start of a search key. Money values are read in
    /// <paramref name="currency"/>.
    /// </summary>
    public IQueryable<TRecord> Filter(IQueryable<TRecord> source, GridQuery query, CurrencyInfo currency, Func<string, Expression<Func<TRecord, bool>>>? containsSearch)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (query.Filters.Count > MaxConditions)
        {
            throw PortalFieldError.Of("filter", "GridTooManyFilters", "Use at most {0} filters at a time.", MaxConditions).ToException();
        }
        source = Search(source, query.Search, containsSearch);
        // The zone whose days a timestamp filter means: the query's, else UTC (also for an id this machine does not know).
        var zone = PortalCalendar.Find(query.TimeZone) ?? TimeZoneInfo.Utc;
        foreach (var filter in query.Filters)
        {
            source = source.Where(Predicate(filter, currency, zone));
        }
        return source;
    }

    /// <summary>Orders by the query's sort keys, then by id.</summary>
    public IOrderedQueryable<TRecord> Sort(IQueryable<TRecord> source, GridQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (query.Sorts.Count > MaxConditions)
        {
            throw PortalFieldError.Of("sort", "GridTooManySorts", "Sort by at most {0} columns.", MaxConditions).ToException();
        }
        IOrderedQueryable<TRecord>? ordered = null;
        foreach (var sort in query.Sorts)
        {
            ordered = OrderBy(source, ordered, Field(sort.Field, "sort").Column, sort.Descending);
        }
        return OrderBy(source, ordered, _id, descending: false);
    }

    /// <summary>Checks the page bounds and applies them.</summary>
    public static IQueryable<TRecord> Page(IQueryable<TRecord> source, GridQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (query.Take is < 1 or > MaxPageSize)
        {
            throw PortalFieldError.Of("take", "GridPageSize", "A page holds 1 to {0} rows.", MaxPageSize).ToException();
        }
        if (query.Skip < 0)
        {
            throw PortalFieldError.Of("skip", "GridNegativeSkip", "The page position cannot be negative.").ToException();
        }
        return source.Skip(query.Skip).Take(query.Take);
    }

    private GridQueryBuilder<TRecord> Add(string name, string title, GridFieldKind kind, LambdaExpression column)
    {
        _fields.Add(name, new GridField(name, title, kind, column));
        return this;
    }

    private IQueryable<TRecord> Search(IQueryable<TRecord> source, string? search, Func<string, Expression<Func<TRecord, bool>>>? containsSearch)
    {
        var key = SearchKeys.Normalize(search);
        if (key.Length == 0 || _searchKeys.Count + _childSearches.Count == 0)
        {
            return source;
        }
        if (containsSearch is not null && key.Length >= ContainsSearchMinLength)
        {
            return source.Where(containsSearch(key));
        }
        var record = Expression.Parameter(typeof(TRecord), "r");
        var any = _searchKeys
            .Select(k => Prefix(Replace(k, record), key))
            .Concat(_childSearches.Select(c => ChildPrefix(c.Children, c.Key, c.Child, record, key)))
            .Aggregate(Expression.OrElse);
        return source.Where(Expression.Lambda<Func<TRecord, bool>>(any, record));
    }

    /// <summary><c>children.Any(c =&gt; prefix(c.key))</c>.</summary>
    private static Expression ChildPrefix(LambdaExpression children, LambdaExpression key, Type child, ParameterExpression record, string normalizedPrefix)
    {
        var item = Expression.Parameter(child, "c");
        var match = Expression.Lambda(Prefix(Replace(key, item), normalizedPrefix), item);
        return Expression.Call(typeof(Enumerable), nameof(Enumerable.Any), [child], Replace(children, record), match);
    }

    private Expression<Func<TRecord, bool>> Predicate(GridFilter filter, CurrencyInfo currency, TimeZoneInfo zone)
    {
        var field = Field(filter.Field, "filter");
        var record = Expression.Parameter(typeof(TRecord), "r");
        var column = Replace(field.Column, record);
        var body = field.Kind == GridFieldKind.Text
            ? TextPredicate(field, column, filter)
            : ValuePredicate(field, column, filter, currency, zone);
        return Expression.Lambda<Func<TRecord, bool>>(body, record);
    }

    private static Expression TextPredicate(GridField field, Expression key, GridFilter filter)
    {
        if (filter.Operator is GridFilterOperator.IsEmpty or GridFilterOperator.IsNotEmpty)
        {
            var empty = Expression.Equal(key, Holder.Of(""));
            return filter.Operator == GridFilterOperator.IsEmpty ? empty : Expression.Not(empty);
        }
        var value = SearchKeys.Normalize(filter.Value);
        if (value.Length == 0)
        {
            throw PortalFieldError.Of(field.Name, "GridFilterTextEmpty", "Type some text to filter {0}.", field.Title).ToException();
        }
        return filter.Operator switch
        {
            GridFilterOperator.Equals => Expression.Equal(key, Holder.Of(value)),
            GridFilterOperator.NotEquals => Expression.NotEqual(key, Holder.Of(value)),
            GridFilterOperator.StartsWith => Prefix(key, value),
            // Contains cannot use an index, but stays parameterised and case-insensitive (the key is upper case).
            GridFilterOperator.Contains => Expression.Call(key, StringContains, Holder.Of(value)),
            _ => throw Unsupported(field, filter.Operator),
        };
    }

    private static Expression ValuePredicate(GridField field, Expression column, GridFilter filter, CurrencyInfo currency, TimeZoneInfo zone)
    {
        var nullable = Nullable.GetUnderlyingType(column.Type) is not null;
        if (filter.Operator is GridFilterOperator.IsEmpty or GridFilterOperator.IsNotEmpty)
        {
            if (!nullable)
            {
                // A required column always has a value.
                return Expression.Constant(filter.Operator == GridFilterOperator.IsNotEmpty);
            }
            var isNull = Expression.Equal(column, Expression.Constant(null, column.Type));
            return filter.Operator == GridFilterOperator.IsEmpty ? isNull : Expression.Not(isNull);
        }
        if (field.Kind == GridFieldKind.Enum && filter.Operator is not (GridFilterOperator.Equals or GridFilterOperator.NotEquals))
        {
            throw Unsupported(field, filter.Operator);
        }
        var parsed = Parse(field, filter.Value, Nullable.GetUnderlyingType(column.Type) ?? column.Type, currency);
        if (parsed is DateOnly day && (Nullable.GetUnderlyingType(column.Type) ?? column.Type) == typeof(DateTime))
        {
            return DayPredicate(field, column, filter.Operator, day, zone);
        }
        var value = Holder.Of(parsed, column.Type);
        return filter.Operator switch
        {
            GridFilterOperator.Equals => Expression.Equal(column, value),
            GridFilterOperator.NotEquals => Expression.NotEqual(column, value),
            GridFilterOperator.LessThan => Expression.LessThan(column, value),
            GridFilterOperator.LessThanOrEqual => Expression.LessThanOrEqual(column, value),
            GridFilterOperator.GreaterThan => Expression.GreaterThan(column, value),
            GridFilterOperator.GreaterThanOrEqual => Expression.GreaterThanOrEqual(column, value),
            _ => throw Unsupported(field, filter.Operator),
        };
    }

    /// <summary>
    /// A UTC timestamp against a whole day of <paramref name="zone"/>: "on d" is <c>[d, d+1)</c>, "after d" is
    /// <c>&gt;= d+1</c>, and so on, each bound the UTC instant that day starts in the zone.
    /// </summary>
    private static Expression DayPredicate(GridField field, Expression column, GridFilterOperator op, DateOnly day, TimeZoneInfo zone)
    {
        var start = Holder.Of(PortalCalendar.StartOfDayUtc(day, zone), column.Type);
        var next = Holder.Of(PortalCalendar.StartOfDayUtc(day.AddDays(1), zone), column.Type);
        return op switch
        {
            GridFilterOperator.Equals => Expression.AndAlso(Expression.GreaterThanOrEqual(column, start), Expression.LessThan(column, next)),
            GridFilterOperator.NotEquals => Expression.OrElse(Expression.LessThan(column, start), Expression.GreaterThanOrEqual(column, next)),
            GridFilterOperator.LessThan => Expression.LessThan(column, start),
            GridFilterOperator.LessThanOrEqual => Expression.LessThan(column, next),
            GridFilterOperator.GreaterThan => Expression.GreaterThanOrEqual(column, next),
            GridFilterOperator.GreaterThanOrEqual => Expression.GreaterThanOrEqual(column, start),
            _ => throw Unsupported(field, op),
        };
    }

    private static object Parse(GridField field, string? text, Type type, CurrencyInfo currency)
    {
        text = text?.Trim();
        switch (field.Kind)
        {
            case GridFieldKind.Money when decimal.TryParse(text, NumberStyles.Number, CultureInfo.InvariantCulture, out var amount)
                                           && decimal.Round(amount, currency.MinorUnits) == amount
                                           && Math.Abs(amount) < 1_000_000_000_000m:
                return (long)(amount * currency.Factor);
            case GridFieldKind.Money:
                // The example as a number, so a user interface writes it in the user's culture ("1234,55" in German,
                // where "1234.55" would read as a thousands separator).
                throw PortalFieldError.Of(field.Name, "GridFilterAmount", "{0} needs an amount like {1} (at most {2} decimals).",
                    field.Title, AmountExample(currency.MinorUnits), currency.MinorUnits).ToException();
            case GridFieldKind.Date when DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date):
                return date;
            case GridFieldKind.Date:
                throw PortalFieldError.Of(field.Name, "GridFilterDate", "{0} needs a date like 2026-03-31.", field.Title).ToException();
            case GridFieldKind.Int when int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var number):
                return number;
            case GridFieldKind.Int:
                throw PortalFieldError.Of(field.Name, "GridFilterWholeNumber", "{0} needs a whole number.", field.Title).ToException();
            default:
                // Enum: by name only (numbers would accept values outside the enum).
                var names = System.Enum.GetNames(type);
                var name = names.FirstOrDefault(n => string.Equals(n, text, StringComparison.OrdinalIgnoreCase))
                    ?? throw PortalFieldError.Of(field.Name, "GridFilterChoice", "{0} is one of: {1}.", field.Title,
                        new GridChoices([.. names.Select(n => (System.Enum)System.Enum.Parse(type, n))])).ToException();
                return System.Enum.Parse(type, name);
        }
    }

    /// <summary>1234.55 with <paramref name="minorUnits"/> decimals (1234 for none, 1234.555 for three).</summary>
    private static decimal AmountExample(int minorUnits) =>
        minorUnits == 0 ? 1234m : decimal.Parse("1234." + new string('5', minorUnits), NumberStyles.Number, CultureInfo.InvariantCulture);

    private static PortalValidationException Unsupported(GridField field, GridFilterOperator op) =>
        PortalFieldError.Of(field.Name, "GridFilterOperator", "{0} cannot be filtered with \"{1}\".", field.Title, op).ToException();

    /// <summary><c>key &gt;= prefix AND key &lt; next(prefix)</c>: an index range on the ordinal key column.</summary>
    private static Expression Prefix(Expression key, string normalizedPrefix)
    {
        var (lower, upperExclusive) = SearchKeys.PrefixRange(normalizedPrefix);
        return Expression.AndAlso(
            Expression.GreaterThanOrEqual(Expression.Call(StringCompare, key, Holder.Of(lower)), Expression.Constant(0)),
            Expression.LessThan(Expression.Call(StringCompare, key, Holder.Of(upperExclusive)), Expression.Constant(0)));
    }

    private static IOrderedQueryable<TRecord> OrderBy(IQueryable<TRecord> source, IOrderedQueryable<TRecord>? ordered, LambdaExpression key, bool descending)
    {
        var method = (ordered is null, descending) switch
        {
            (true, false) => nameof(Queryable.OrderBy),
            (true, true) => nameof(Queryable.OrderByDescending),
            (false, false) => nameof(Queryable.ThenBy),
            (false, true) => nameof(Queryable.ThenByDescending),
        };
        var target = ordered ?? source;
        var call = Expression.Call(typeof(Queryable), method, [typeof(TRecord), key.ReturnType], target.Expression, Expression.Quote(key));
        return (IOrderedQueryable<TRecord>)target.Provider.CreateQuery<TRecord>(call);
    }

    private static Expression Replace(LambdaExpression lambda, ParameterExpression record) =>
        new ParameterSwap(lambda.Parameters[0], record).Visit(lambda.Body);

    private sealed class ParameterSwap(ParameterExpression from, ParameterExpression to) : ExpressionVisitor
    {
        protected override Expression VisitParameter(ParameterExpression node) => node == from ? to : node;
    }
}

/// <summary>
/// Carries a filter value into an expression tree as a member of an object, the shape of a captured variable,
/// which EF Core turns into a SQL parameter (a bare constant would be inlined into the SQL text).
/// </summary>
internal static class Holder
{
    /// <summary>Member access on a holder of <paramref name="value"/>.</summary>
    public static Expression Of(string value) => Of(value, typeof(string));

    /// <summary>Member access on a holder of <paramref name="value"/>, typed <paramref name="type"/>.</summary>
    public static Expression Of(object value, Type type)
    {
        var holderType = typeof(ValueHolder<>).MakeGenericType(type);
        var holder = Activator.CreateInstance(holderType, value)!;
        return Expression.Property(Expression.Constant(holder), nameof(ValueHolder<int>.Value));
    }

    private sealed class ValueHolder<T>(T value)
    {
        public T Value { get; } = value;
    }
}
