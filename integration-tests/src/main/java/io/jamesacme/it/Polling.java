package io.jamesacme.it;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.function.Supplier;

/** Repeats a check until it yields a value or a deadline passes. */
public final class Polling {

    private Polling() {
    }

    /**
     * Calls {@code check} every {@code interval} until it returns a value.
     *
     * @param description what is awaited, for the timeout message
     * @param lastState called on timeout to describe the last observed state
     * @throws PollingTimeoutException when {@code timeout} passes first
     */
    public static <T> T await(String description, Duration timeout, Duration interval,
                              Supplier<Optional<T>> check, Supplier<String> lastState) {
        Instant deadline = Instant.now().plus(timeout);
        while (true) {
            Optional<T> result = check.get();
            if (result.isPresent()) {
                return result.get();
            }
            if (Instant.now().isAfter(deadline)) {
                throw new PollingTimeoutException("Timed out after " + timeout.toSeconds() + " s waiting for "
                        + description + ". Last state: " + lastState.get());
            }
            try {
                Thread.sleep(interval.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("Interrupted while waiting for " + description, e);
            }
        }
    }

    /** Thrown when {@link #await} reaches its deadline. */
    public static final class PollingTimeoutException extends RuntimeException {
        PollingTimeoutException(String message) {
            super(message);
        }
    }
}
