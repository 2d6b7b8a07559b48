package io.jamesacme.smime.acme;

/** An order that ended in a state from which it cannot go on; retrying the step would not help. */
class OrderFailedException extends Exception {
    private static final long serialVersionUID = 1L;

    OrderFailedException(String message) {
        super(message);
    }
}
