package io.jamesacme.smime.acme;

/**
 * Places in an order where the crash-recovery tests stop James without a clean shutdown. Each
 * is named for the state the order has just written. When the JVM system property
 * {@value #PROPERTY} names a point, the JVM halts there with status {@value #HALT_STATUS},
 * running no shutdown hook, as if the process had been killed. Never set it in production.
 */
public enum CrashPoint {
    /** The CA created the order and its URL is stored, but the authorization is not fetched yet. */
    CREATED,
    /** The challenge mail was claimed, but the response is not sent yet. */
    CHALLENGE_RECEIVED,
    /** The response was handed to James and the trigger delay has passed, but the trigger is not sent. */
    ANSWERED,
    /** The authorization is valid, but the order is not finalized yet. */
    VALID,
    /** The chain was downloaded and stored in the order, but the key store is not written. */
    ISSUED;

    public static final String PROPERTY = "io.jamesacme.smime.crash-at";
    public static final int HALT_STATUS = 86;

    /** Halts the JVM if {@value #PROPERTY} names this point, and returns otherwise. */
    public void reached(String orderId) {
        if (name().equals(System.getProperty(PROPERTY))) {
            // A logger may buffer the line, so it goes to standard error, which reaches james.log.
            System.err.println("james-acme-smime: halting the JVM at crash point " + name()
                + " of order " + orderId + " (" + PROPERTY + ")");
            System.err.flush();
            Runtime.getRuntime().halt(HALT_STATUS);
        }
    }
}
