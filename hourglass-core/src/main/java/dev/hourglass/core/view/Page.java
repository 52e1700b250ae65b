package dev.hourglass.core.view;

import java.util.List;

/**
 * One page of a listing, newest first. {@code nextCursor} continues the listing; null means the end
 * was reached. A page may hold fewer items than asked when the scan budget ran out first: keep
 * following the cursor.
 */
public record Page<T>(List<T> items, String nextCursor) {}
