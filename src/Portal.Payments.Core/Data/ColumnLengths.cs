namespace Portal.Payments.Data;

/// <summary>
/// The lengths of the portal's text columns, one set for the model (<see cref="PaymentsDbContext"/>) and for the code that
/// fits values into them before they are stored (the ERP sync, the search keys).
/// </summary>
internal static class ColumnLengths
{
    /// <summary>An id, key, number or PO number.</summary>
    public const int Id = 64;

    /// <summary>A name, token, reference or cursor.</summary>
    public const int Name = 200;

    /// <summary>A billing region (a country or state code the fee policy reads).</summary>
    public const int Region = 16;

    /// <summary>A free text (a comment, a reason, an error).</summary>
    public const int Text = 2000;
}
