package io.jamesacme.testca;

/**
 * Certificate that {@link TestCa#smimeSign} and {@link TestCa#smimeSignOpaque} sign with. Only
 * {@link #CA} passes every check a recipient makes; each other value fails exactly one.
 */
public enum SmimeSigner {
    /** The CA's signing certificate: issued from the test root for the CA address. */
    CA,
    /** Issued from the test root for the CA address, but its notAfter is in the past. */
    EXPIRED,
    /** Issued for the CA address by a separate self-signed root that is not the test root. */
    UNTRUSTED,
    /** Issued from the test root for {@code someone-else@<CA domain>} instead of the CA address. */
    OTHER_ADDRESS
}
