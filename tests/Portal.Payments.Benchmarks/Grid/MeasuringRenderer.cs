#pragma warning disable BL0006 // RenderTree types: this renderer stands in for Blazor Server's and reads its batches.
using System.Reflection;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.RenderTree;
using Microsoft.Extensions.Logging;

namespace Portal.Payments.Benchmarks.Grid;

/// <summary>
/// A Blazor renderer that does what Blazor Server's circuit renderer does with each render batch — serialises it
/// with the framework's own <c>RenderBatchWriter</c> (the bytes a circuit sends to the browser) — and counts the
/// bytes instead of sending them. It keeps the live component ids (for component counts) and can find an element's
/// event handler in the current render tree, so a measurement can "click" like a browser would.
/// </summary>
internal sealed class MeasuringRenderer(IServiceProvider services, ILoggerFactory loggerFactory) : Renderer(services, loggerFactory)
{
    private static readonly Type WriterType =
        Type.GetType("Microsoft.AspNetCore.Components.Server.Circuits.RenderBatchWriter, Microsoft.AspNetCore.Components.Server", throwOnError: true)!;
    private static readonly ConstructorInfo WriterConstructor = WriterType.GetConstructor([typeof(Stream), typeof(bool)])
        ?? throw new InvalidOperationException("RenderBatchWriter(Stream, bool) not found.");
    private static readonly MethodInfo WriteBatch = WriterType.GetMethod("Write", [typeof(RenderBatch).MakeByRefType()])
        ?? throw new InvalidOperationException("RenderBatchWriter.Write(in RenderBatch) not found.");

    private readonly HashSet<int> _live = [];
    private readonly List<Exception> _errors = [];
    private long _bytes;
    private int _batches;
    private long _lastBatchAt;

    /// <inheritdoc />
    public override Dispatcher Dispatcher { get; } = Dispatcher.CreateDefault();

    /// <summary>A circuit's renderer is interactive (components run their interactive code paths).</summary>
    protected override RendererInfo RendererInfo { get; } = new("Server", isInteractive: true);

    /// <summary>Bytes of every batch serialised so far.</summary>
    public long Bytes => Interlocked.Read(ref _bytes);

    /// <summary>Batches rendered so far.</summary>
    public int Batches => Volatile.Read(ref _batches);

    /// <summary>Components alive now.</summary>
    public int LiveComponents
    {
        get
        {
            lock (_live)
            {
                return _live.Count;
            }
        }
    }

    /// <summary>When set, bytes of each batch's edits and reference frames are added up per component type (what a batch is made of).</summary>
    public Dictionary<string, (int Components, int Edits, int ReferenceFrames)>? Breakdown { get; set; }

    /// <summary>
    /// When set, each batch's edits are added up by what they do (edit type, and the attribute's name for an attribute
    /// set): how many, and the UTF-8 bytes of the strings they carry (attribute values, texts, markup).
    /// </summary>
    public Dictionary<string, (int Count, long StringBytes)>? Contents { get; set; }

    /// <summary>Exceptions the components raised (JS interop answers are defaults here, so a few are expected).</summary>
    public IReadOnlyList<Exception> Errors => _errors;

    /// <summary>Renders <paramref name="componentType"/> as a root component and waits until it and its children are quiet.</summary>
    public Task RenderAsync(Type componentType) => Dispatcher.InvokeAsync(async () =>
    {
        var component = InstantiateComponent(componentType);
        var id = AssignRootComponentId(component);
        await RenderRootComponentAsync(id);
    });

    /// <summary>
    /// Called once the element to act on is found, right before its handler runs: finding it walks every element of
    /// the render trees (the benchmark's own work, which a browser click does not cost the server), so measurements start here.
    /// </summary>
    public Action? Dispatching { get; set; }

    /// <summary>Raises <paramref name="eventName"/> on the first element matching <paramref name="match"/>; false when none.</summary>
    public async Task<bool> DispatchAsync(Func<ElementInfo, bool> match, string eventName, EventArgs args)
    {
        var handler = await Dispatcher.InvokeAsync(() => FindElements().Where(match).Select(e => e.Handlers.GetValueOrDefault(eventName)).FirstOrDefault(h => h != 0));
        if (handler == 0)
        {
            return false;
        }
        Dispatching?.Invoke();
        await Dispatcher.InvokeAsync(() => DispatchEventAsync(handler, null, args));
        return true;
    }

    /// <summary>Waits until no batch has been rendered for <paramref name="quiet"/> (async loads finish after the handler).</summary>
    public async Task SettleAsync(TimeSpan quiet, TimeSpan max)
    {
        var until = Environment.TickCount64 + (long)max.TotalMilliseconds;
        while (Environment.TickCount64 < until)
        {
            await Task.Delay(10);
            if (Environment.TickCount64 - Interlocked.Read(ref _lastBatchAt) >= quiet.TotalMilliseconds)
            {
                return;
            }
        }
    }

    /// <summary>
    /// The render trees the live components hold, by component type: components, frames in use and frames of capacity
    /// (the current tree's buffer; Blazor keeps a second buffer of about the same size for the next render).
    /// </summary>
    public Task<Dictionary<string, (int Components, int Frames, int Capacity)>> TreeSizesAsync() => Dispatcher.InvokeAsync(() =>
    {
        int[] ids;
        lock (_live)
        {
            ids = [.. _live];
        }
        var sizes = new Dictionary<string, (int Components, int Frames, int Capacity)>(StringComparer.Ordinal);
        foreach (var id in ids)
        {
            try
            {
                var frames = GetCurrentRenderTreeFrames(id);
                var name = ComponentName(id);
                var before = sizes.GetValueOrDefault(name);
                sizes[name] = (before.Components + 1, before.Frames + frames.Count, before.Capacity + frames.Array.Length);
            }
            catch (ArgumentException)
            {
                // disposed meanwhile
            }
        }
        return sizes;
    });

    /// <summary>Every element of the current render trees, with its attributes and event handlers.</summary>
    public IReadOnlyList<ElementInfo> FindElements()
    {
        int[] ids;
        lock (_live)
        {
            ids = [.. _live];
        }
        var found = new List<ElementInfo>();
        foreach (var id in ids)
        {
            ArrayRange<RenderTreeFrame> frames;
            try
            {
                frames = GetCurrentRenderTreeFrames(id);
            }
            catch (ArgumentException)
            {
                continue; // disposed meanwhile
            }
            for (var i = 0; i < frames.Count; i++)
            {
                ref var frame = ref frames.Array[i];
                if (frame.FrameType != RenderTreeFrameType.Element)
                {
                    continue;
                }
                var attributes = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
                var handlers = new Dictionary<string, ulong>(StringComparer.OrdinalIgnoreCase);
                for (var j = i + 1; j < frames.Count && frames.Array[j].FrameType == RenderTreeFrameType.Attribute; j++)
                {
                    ref var attribute = ref frames.Array[j];
                    if (attribute.AttributeEventHandlerId != 0)
                    {
                        handlers[attribute.AttributeName] = attribute.AttributeEventHandlerId;
                    }
                    else
                    {
                        attributes[attribute.AttributeName] = attribute.AttributeValue?.ToString() ?? "";
                    }
                }
                found.Add(new ElementInfo(frame.ElementName, attributes, handlers, TextOf(frames, i)));
            }
        }
        return found;
    }

    /// <inheritdoc />
    protected override void HandleException(Exception exception)
    {
        lock (_errors)
        {
            _errors.Add(exception);
        }
    }

    /// <inheritdoc />
    protected override Task UpdateDisplayAsync(in RenderBatch renderBatch)
    {
        using var counter = new CountingStream();
        using (var writer = (IDisposable)WriterConstructor.Invoke([counter, true]))
        {
            WriteBatch.Invoke(writer, [renderBatch]);
        }
        Interlocked.Add(ref _bytes, counter.Length);
        Interlocked.Increment(ref _batches);
        Interlocked.Exchange(ref _lastBatchAt, Environment.TickCount64);
        if (Breakdown is { } breakdown)
        {
            for (var i = 0; i < renderBatch.UpdatedComponents.Count; i++)
            {
                var diff = renderBatch.UpdatedComponents.Array[i];
                var name = ComponentName(diff.ComponentId);
                var referenceFrames = 0;
                for (var e = 0; e < diff.Edits.Count; e++)
                {
                    var edit = diff.Edits.Array[diff.Edits.Offset + e];
                    if (edit.Type is RenderTreeEditType.PrependFrame)
                    {
                        referenceFrames += Math.Max(1, renderBatch.ReferenceFrames.Array[edit.ReferenceFrameIndex] is var f && f.FrameType == RenderTreeFrameType.Element ? f.ElementSubtreeLength : 1);
                    }
                    else if (edit.Type is RenderTreeEditType.SetAttribute)
                    {
                        referenceFrames++;
                    }
                }
                if (Contents is { } contents)
                {
                    for (var e = 0; e < diff.Edits.Count; e++)
                    {
                        var edit = diff.Edits.Array[diff.Edits.Offset + e];
                        var (key, bytes) = edit.Type switch
                        {
                            RenderTreeEditType.SetAttribute => renderBatch.ReferenceFrames.Array[edit.ReferenceFrameIndex] is var a
                                ? ($"set {a.AttributeName}", a.AttributeValue is string v ? System.Text.Encoding.UTF8.GetByteCount(v) : 0) : default,
                            RenderTreeEditType.UpdateText => ("update text", System.Text.Encoding.UTF8.GetByteCount(renderBatch.ReferenceFrames.Array[edit.ReferenceFrameIndex].TextContent ?? "")),
                            RenderTreeEditType.UpdateMarkup => ("update markup", System.Text.Encoding.UTF8.GetByteCount(renderBatch.ReferenceFrames.Array[edit.ReferenceFrameIndex].MarkupContent ?? "")),
                            RenderTreeEditType.PrependFrame => ("prepend " + (renderBatch.ReferenceFrames.Array[edit.ReferenceFrameIndex] is var f && f.FrameType == RenderTreeFrameType.Element ? f.ElementName : f.FrameType.ToString()), 0),
                            RenderTreeEditType.RemoveAttribute => ($"remove {edit.RemovedAttributeName}", 0),
                            _ => (edit.Type.ToString(), 0),
                        };
                        var sofar = contents.GetValueOrDefault(key);
                        contents[key] = (sofar.Count + 1, sofar.StringBytes + bytes);
                    }
                }
                var before = breakdown.GetValueOrDefault(name);
                breakdown[name] = (before.Components + 1, before.Edits + diff.Edits.Count, before.ReferenceFrames + referenceFrames);
            }
        }
        lock (_live)
        {
            for (var i = 0; i < renderBatch.UpdatedComponents.Count; i++)
            {
                _live.Add(renderBatch.UpdatedComponents.Array[i].ComponentId);
            }
            for (var i = 0; i < renderBatch.DisposedComponentIDs.Count; i++)
            {
                _live.Remove(renderBatch.DisposedComponentIDs.Array[i]);
            }
        }
        return Task.CompletedTask;
    }

    private string ComponentName(int componentId)
    {
        try
        {
            var type = GetComponentState(componentId).Component.GetType();
            return type.IsGenericType ? type.Name[..type.Name.IndexOf('`')] : type.Name;
        }
        catch (ArgumentException)
        {
            return "(disposed)";
        }
    }

    // The text directly inside an element (for finding buttons by their words).
    private static string TextOf(ArrayRange<RenderTreeFrame> frames, int element)
    {
        var end = element + frames.Array[element].ElementSubtreeLength;
        var text = new System.Text.StringBuilder();
        for (var i = element + 1; i < end && i < frames.Count; i++)
        {
            if (frames.Array[i].FrameType is RenderTreeFrameType.Text)
            {
                text.Append(frames.Array[i].TextContent);
            }
            else if (frames.Array[i].FrameType is RenderTreeFrameType.Markup)
            {
                text.Append(frames.Array[i].MarkupContent);
            }
        }
        return text.ToString().Trim();
    }

    /// <summary>A stream that only counts what is written.</summary>
    private sealed class CountingStream : Stream
    {
        private long _length;

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => _length;
        public override long Position { get => _length; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => _length += count;
        public override void Write(ReadOnlySpan<byte> buffer) => _length += buffer.Length;
        public override void WriteByte(byte value) => _length++;
    }
}

/// <summary>One element of a render tree: its name, attributes, event handlers and direct text.</summary>
internal sealed record ElementInfo(string Name, IReadOnlyDictionary<string, string> Attributes, IReadOnlyDictionary<string, ulong> Handlers, string Text)
{
    /// <summary>True when the class attribute holds <paramref name="cssClass"/>.</summary>
    public bool HasClass(string cssClass) =>
        Attributes.TryGetValue("class", out var c) && c.Split(' ', StringSplitOptions.RemoveEmptyEntries).Contains(cssClass, StringComparer.Ordinal);

    /// <summary>The attribute's value, or null.</summary>
    public string? this[string name] => Attributes.GetValueOrDefault(name);
}
