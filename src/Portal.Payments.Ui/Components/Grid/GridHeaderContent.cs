using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Rendering;

namespace Portal.Payments.Ui.Components;

/// <summary>
/// Renders a grid's header content (the open-invoices selection bar) as a component of its own inside Radzen's header, so
/// its frames live in a small render tree of their own instead of in the Radzen grid's, which holds the whole table and
/// which the circuit keeps twice at the power of two above its largest size.
/// </summary>
internal sealed class GridHeaderContent : ComponentBase
{
    /// <summary>The content.</summary>
    [Parameter] public RenderFragment? ChildContent { get; set; }

    /// <inheritdoc />
    protected override void BuildRenderTree(RenderTreeBuilder builder) => builder.AddContent(0, ChildContent);
}
