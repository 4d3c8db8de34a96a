using System.Collections;
using System.Linq.Expressions;

namespace Portal.Payments.Ui.Components;

/// <summary>
/// A page of rows handed to Radzen's DataGrid as a query that answers the grid's own <c>Count()</c> and <c>Any()</c> from
/// the list. Radzen turns its <c>Data</c> into a query (<c>AsQueryable()</c>) and counts it after every load; over a plain
/// list that is an <see cref="EnumerableQuery{T}"/>, which answers each such call by compiling an expression into a new
/// method and JIT-compiling it (two of every three grid actions compiled one, and finalized it later). Anything else goes to an
/// <see cref="EnumerableQuery{T}"/> over the same list, with the same results as before.
/// </summary>
/// <typeparam name="T">Item type.</typeparam>
internal sealed class ListQuery<T> : IOrderedQueryable<T>, IQueryProvider, IReadOnlyList<T>
{
    private readonly List<T> _items;
    private EnumerableQuery<T>? _fallback;

    /// <summary>The query of <paramref name="items"/> (the list itself, not a copy: it must not change afterwards).</summary>
    public ListQuery(List<T> items)
    {
        _items = items;
        Expression = Expression.Constant(this);
    }

    /// <inheritdoc />
    public Type ElementType => typeof(T);

    /// <inheritdoc />
    public Expression Expression { get; }

    /// <inheritdoc />
    public IQueryProvider Provider => this;

    /// <inheritdoc />
    public int Count => _items.Count;

    /// <inheritdoc />
    public T this[int index] => _items[index];

    /// <inheritdoc />
    public IEnumerator<T> GetEnumerator() => _items.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <inheritdoc />
    public IQueryable CreateQuery(Expression expression) => Fallback.Provider.CreateQuery(Rewrite(expression));

    /// <inheritdoc />
    public IQueryable<TElement> CreateQuery<TElement>(Expression expression) => Fallback.Provider.CreateQuery<TElement>(Rewrite(expression));

    /// <inheritdoc />
    public object? Execute(Expression expression) => TryAnswer(expression, out var result) ? result : Fallback.Provider.Execute(Rewrite(expression));

    /// <inheritdoc />
    public TResult Execute<TResult>(Expression expression) =>
        TryAnswer(expression, out var result) ? (TResult)result! : Fallback.Provider.Execute<TResult>(Rewrite(expression));

    /// <summary>Count, LongCount and Any calls answered from the list (for tests).</summary>
    internal int Answered { get; private set; }

    /// <summary>True once anything went to the <see cref="EnumerableQuery{T}"/> (for tests).</summary>
    internal bool UsedFallback => _fallback is not null;

    private IQueryable<T> Fallback => _fallback ??= new EnumerableQuery<T>(_items);

    // Count(), LongCount() and Any() of this query itself, without a predicate.
    private bool TryAnswer(Expression expression, out object? result)
    {
        result = expression is MethodCallExpression { Method: { DeclaringType: var type, Name: var name }, Arguments: [ConstantExpression { Value: var source }] }
                 && type == typeof(Queryable) && ReferenceEquals(source, this)
            ? name switch
            {
                nameof(Queryable.Count) => _items.Count,
                nameof(Queryable.LongCount) => (long)_items.Count,
                nameof(Queryable.Any) => _items.Count > 0,
                _ => null,
            }
            : null;
        if (result is null)
        {
            return false;
        }
        Answered++;
        return true;
    }

    private Expression Rewrite(Expression expression) => new ToFallback(this, Fallback.Expression).Visit(expression);

    private sealed class ToFallback(ListQuery<T> query, Expression fallback) : ExpressionVisitor
    {
        protected override Expression VisitConstant(ConstantExpression node) => ReferenceEquals(node.Value, query) ? fallback : node;
    }
}
