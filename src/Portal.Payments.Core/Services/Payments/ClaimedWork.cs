namespace Portal.Payments.Services.Payments;

/// <summary>
/// Runs claimed work with bounded concurrency: claims only as many items as there are free slots (so no lease runs out
/// on an item still waiting its turn), runs each as it is claimed, and claims more as slots free up, until nothing is
/// due. Cancelling stops new claims; work already started finishes.
/// </summary>
internal static class ClaimedWork
{
    /// <summary>
    /// <paramref name="claim"/> is asked for at most the number of free slots and answers the ids now held by this node
    /// and whether anything was due; <paramref name="run"/> works one id and answers whether it reached an outcome.
    /// Returns how many did.
    /// </summary>
    public static async Task<int> RunAsync(Func<int, Task<(List<Guid> Claimed, bool AnyDue)>> claim, Func<Guid, Task<bool>> run, int maxConcurrent,
        CancellationToken cancellationToken)
    {
        var running = new HashSet<Task<bool>>();
        var done = 0;
        var drained = false;
        while (true)
        {
            while (!drained && running.Count < maxConcurrent && !cancellationToken.IsCancellationRequested)
            {
                var (claimed, anyDue) = await claim(maxConcurrent - running.Count);
                drained = !anyDue;
                foreach (var id in claimed)
                {
                    running.Add(Task.Run(() => run(id), CancellationToken.None));
                }
                if (claimed.Count == 0 && running.Count > 0)
                {
                    break; // other nodes took these: wait for a slot before looking again
                }
            }
            if (running.Count == 0)
            {
                return done;
            }
            var finished = await Task.WhenAny(running);
            running.Remove(finished);
            done += await finished ? 1 : 0;
            drained |= cancellationToken.IsCancellationRequested;
        }
    }
}
