package dev.hourglass.core.engine;

import dev.hourglass.core.view.JobState;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * Revives, after a re-drive, the descendants that were cancelled because the re-driven job died
 * (see the notes on cancel and re-drive in {@link Engine}). Part of the engine's apply, on its
 * thread; kept apart only to keep Engine's file short.
 */
final class Revival {
  private Revival() {}

  /**
   * After {@code root} was re-driven: brings back to PENDING every descendant that was cancelled
   * because of it, so a pipeline resumes where it stopped. A descendant comes back when it was
   * cancelled through a parent that is coming back and none of its parents is still DEAD, CANCELLED
   * or evicted; otherwise it stays CANCELLED, now attributed to the parent that still blocks it, so
   * that re-driving that parent later revives it. Jobs a user cancelled stay cancelled (their
   * {@code cancelledBy} is null), and so do their descendants. Visits the dependents of each
   * revived job once: O(descendants × their parents).
   */
  static void reviveDescendants(Engine engine, Job root) {
    ArrayDeque<Job> revived = new ArrayDeque<>();
    revived.add(root);
    while (!revived.isEmpty()) {
      Job parent = revived.poll();
      if (parent.extras == null || parent.extras.dependents == null) {
        continue;
      }
      for (String childId : List.copyOf(parent.extras.dependents)) {
        Job child = engine.jobs.get(childId);
        if (child == null
            || child.state != JobState.CANCELLED
            || child.extras == null
            || !parent.id.equals(child.extras.cancelledBy)
            || !child.extras.parents.contains(parent.id)) {
          continue;
        }
        String blocker = blockingParent(engine, child);
        if (blocker != null) {
          child.extras.cancelledBy = blocker;
          continue;
        }
        revive(engine, child, parent);
        revived.add(child);
      }
    }
  }

  /** The first parent that keeps {@code child} from waiting: DEAD, CANCELLED or evicted. */
  private static String blockingParent(Engine engine, Job child) {
    for (String parentId : child.extras.parents) {
      Job p = engine.jobs.get(parentId);
      if (p == null || p.state == JobState.DEAD || p.state == JobState.CANCELLED) {
        return parentId;
      }
    }
    return null;
  }

  /**
   * CANCELLED -> PENDING, waiting again for every parent that has not succeeded. The parents' lists
   * of waiting children are kept in submission order (the order children are released in), and may
   * still hold this child from before it was cancelled: it is added only where missing.
   */
  private static void revive(Engine engine, Job child, Job through) {
    JobExtras x = child.extras;
    int unmet = 0;
    for (String parentId : x.parents) {
      Job p = engine.jobs.get(parentId);
      if (p.state == JobState.SUCCEEDED) {
        continue;
      }
      JobExtras px = p.extras();
      if (px.children == null) {
        px.children = new ArrayList<>(2);
      }
      int at = childIndex(px.children, child.seq);
      if (at < 0) {
        px.children.add(-at - 1, child);
      }
      unmet++;
    }
    Invariants.check(unmet > 0, "revived job %s has no parent to wait for", child.id);
    child.unmetParents = unmet;
    x.cancelledBy = null;
    x.reason = null;
    x.staleFinishedEntries++; // its retention entry from the cancellation stays behind
    engine.moveTo(child, JobState.PENDING, "revived: parent " + through.id + " was re-driven");
  }

  /** Binary search by submission order, as {@link java.util.Collections#binarySearch}. */
  private static int childIndex(ArrayList<Job> children, long seq) {
    int lo = 0;
    int hi = children.size() - 1;
    while (lo <= hi) {
      int mid = (lo + hi) >>> 1;
      long s = children.get(mid).seq;
      if (s < seq) {
        lo = mid + 1;
      } else if (s > seq) {
        hi = mid - 1;
      } else {
        return mid;
      }
    }
    return -(lo + 1);
  }
}
