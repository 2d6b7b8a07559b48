package io.jamesacme.it;

/**
 * The extension's crash-point test hook, seen from the tests: a James started with the system
 * property {@link #PROPERTY} set to a point name halts itself there with {@link #HALT_STATUS}.
 */
final class CrashPoints {
    static final String PROPERTY = "io.jamesacme.smime.crash-at";
    static final int HALT_STATUS = 86;

    private CrashPoints() {
    }
}
