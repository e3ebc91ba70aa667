package dev.trellis.controlplane.store;

import java.util.List;

/**
 * The events one revision made under a watch's prefix: all the changes of one transaction (or of
 * one lease's expiry), delivered together so that a watcher never sees half of one.
 */
public record WatchBatch(long revision, List<WatchEvent> events) {
    public WatchBatch {
        events = List.copyOf(events);
        for (WatchEvent e : events) {
            if (e.revision() != revision) {
                throw new IllegalArgumentException("event " + e.key() + ": revision " + e.revision() + " (expected: " + revision + ")");
            }
        }
    }
}
