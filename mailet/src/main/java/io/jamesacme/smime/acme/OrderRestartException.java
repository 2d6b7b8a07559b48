package io.jamesacme.smime.acme;

/** An order that cannot go on, and that a new order for the address replaces at once. */
class OrderRestartException extends OrderFailedException {
    private static final long serialVersionUID = 1L;

    OrderRestartException(String message) {
        super(message);
    }
}
