using System.Reflection;
using System.Runtime.CompilerServices;
using Portal.Payments.Discounts;
using Portal.Payments.Erp;
using Portal.Payments.Gateways;
using Portal.Payments.Notifications;
using Portal.Payments.Users;

namespace Portal.Payments.Hosting;

/// <summary>What <see cref="PortalPaymentsBuilder.AddAdaptersFromAssemblyOf{T}"/> may register, and its refusal to guess.</summary>
internal static class AdapterScan
{
    // The roles a scan fills, each with the explicit call that names one class instead.
    private static readonly (Type Role, string Name, string Call)[] Roles =
    [
        (typeof(IPaymentGateway), "payment gateways", "AddGateway"),
        (typeof(IErpAdapter), "ERP adapters", "AddErpAdapter"),
        (typeof(IPortalUserContext), "user contexts", "UseUserContext"),
        (typeof(INotificationSender), "notification senders", "UseNotificationSender"),
        (typeof(IDiscountPolicy), "discount policies", "UseDiscountPolicy"),
    ];

    /// <summary>The concrete classes of <paramref name="assembly"/> the scan may take (as Scrutor's <c>AddClasses</c> sees them), filtered by <paramref name="include"/>.</summary>
    public static IReadOnlyList<Type> Classes(Assembly assembly, Func<Type, bool>? include)
    {
        Type[] types;
        try
        {
            types = assembly.GetTypes();
        }
        catch (ReflectionTypeLoadException e)
        {
            // Classes whose dependencies are missing cannot be adapters the host means to use.
            types = [.. e.Types.OfType<Type>()];
        }
        return [.. types.Where(t => t is { IsClass: true, IsAbstract: false, IsGenericTypeDefinition: false, IsSpecialName: false }
            && !t.IsDefined(typeof(CompilerGeneratedAttribute), inherit: true)
            && Roles.Any(r => r.Role.IsAssignableFrom(t))
            && (include?.Invoke(t) ?? true))];
    }

    /// <summary>Throws, naming the classes, when one role has more than one (the scan would keep one of them at random).</summary>
    public static void RefuseAmbiguity<T>(IReadOnlyList<Type> found)
    {
        var problems = Roles
            .Select(r => (r.Name, r.Call, Types: found.Where(r.Role.IsAssignableFrom).OrderBy(t => t.FullName, StringComparer.Ordinal).ToList()))
            .Where(r => r.Types.Count > 1)
            .ToList();
        if (problems.Count == 0)
        {
            return;
        }
        var what = string.Join("; ", problems.Select(p => $"{p.Types.Count} {p.Name} ({string.Join(", ", p.Types.Select(t => t.FullName))})"));
        var first = problems[0];
        throw new InvalidOperationException(
            $"AddAdaptersFromAssemblyOf<{typeof(T).Name}>() found {what} in {typeof(T).Assembly.GetName().Name}. The scan registers one class " +
            $"per role and will not guess which. Register the one you mean, e.g. .{first.Call}<{first.Types[0].Name}>(), instead of the scan, " +
            $"or narrow it: .AddAdaptersFromAssemblyOf<{typeof(T).Name}>(include: t => t != typeof({first.Types[^1].Name})).");
    }
}
