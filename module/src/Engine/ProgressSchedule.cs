// When a refresh writes its progress bar.
//
// A console host draws each progress record on the cmdlet's thread before WriteProgress returns. On Unix,
// PowerShell's console host asks the terminal where the cursor is for each drawing (an escape sequence and
// a wait for the answer): a few milliseconds in a terminal on this computer, a network round trip over SSH,
// and 1 s (10 s the first time in a process) in a pseudo-terminal that never answers. The refresh itself runs
// in the library's background, so a drawing never slows it, but a drawing under way when it ends delays the
// cmdlet. So the bar is drawn only for a run long enough to watch, and never so often that drawing it takes
// more than a small share of the run: a slow console gets fewer updates, not a slower run.

using System;
using System.Diagnostics;

namespace SetAwsCliSsoCredentials.Engine
{
    internal sealed class ProgressSchedule
    {
        /// <summary>A run that ends sooner shows no bar: there is nothing to watch.</summary>
        internal static readonly TimeSpan FirstAfter = TimeSpan.FromSeconds(2);

        /// <summary>At most one drawing this often, as PowerShell's console host itself redraws.</summary>
        internal static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(500);

        /// <summary>The share of the run's time that drawing the bar may take.</summary>
        internal const double Budget = 0.05;

        private readonly Stopwatch run = Stopwatch.StartNew();
        private TimeSpan spentDrawing = TimeSpan.Zero;
        private TimeSpan nextAt = FirstAfter;
        private int lastCompleted = -1;

        /// <summary>True once a record was written: the bar must then be completed at the end.</summary>
        public bool Shown => lastCompleted >= 0;

        /// <summary>
        /// How long the caller may wait for the run's next event before it asks <see cref="Due"/> again: until the
        /// next drawing may happen, at most <paramref name="atMost"/>. Once that time has come, a drawing waits for
        /// a new count, which comes as an event: the whole <paramref name="atMost"/>, never a busy loop.
        /// </summary>
        public TimeSpan UntilNext(TimeSpan atMost)
        {
            TimeSpan left = nextAt - run.Elapsed;
            return left <= TimeSpan.Zero || left > atMost ? atMost : left;
        }

        /// <summary>Whether a record with this count should be written now.</summary>
        public bool Due(int completed) => run.Elapsed >= nextAt && completed != lastCompleted;

        /// <summary>Writes a record through <paramref name="write"/>, timing it to pace the next one.</summary>
        public void Draw(int completed, Action write)
        {
            var drawing = Stopwatch.StartNew();
            write();
            drawing.Stop();
            spentDrawing += drawing.Elapsed;
            lastCompleted = completed;
            TimeSpan byInterval = run.Elapsed + Interval;
            TimeSpan byBudget = TimeSpan.FromTicks((long)(spentDrawing.Ticks / Budget));
            nextAt = byInterval > byBudget ? byInterval : byBudget;
        }
    }
}
