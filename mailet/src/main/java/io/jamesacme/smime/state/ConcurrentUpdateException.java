package io.jamesacme.smime.state;

/**
 * An update lost a race: the stored record has another version than the one the caller read.
 * The caller reads the record again and decides whether its step still applies.
 */
public class ConcurrentUpdateException extends StateStoreException {
    private static final long serialVersionUID = 1L;

    public ConcurrentUpdateException(String orderId, long expected, long actual) {
        super("Order " + orderId + " was changed by someone else: expected version " + expected
            + ", found " + actual);
    }
}
