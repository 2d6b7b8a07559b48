package io.jamesacme.testca;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;

/** The latest {@link #MAX_ENTRIES} requests the CA handled, oldest first. */
final class RequestLog {

    static final int MAX_ENTRIES = 10_000;

    private final Deque<RequestLogEntry> entries = new ArrayDeque<>();

    synchronized void add(RequestLogEntry entry) {
        if (entries.size() == MAX_ENTRIES) {
            entries.removeFirst();
        }
        entries.addLast(entry);
    }

    synchronized List<RequestLogEntry> snapshot() {
        return List.copyOf(entries);
    }
}
