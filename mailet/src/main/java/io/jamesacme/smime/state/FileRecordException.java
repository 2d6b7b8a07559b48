package io.jamesacme.smime.state;

/**
 * A record file of a {@link FileStateStore} is truncated, garbled or misses a field. The
 * message names the defect but never a field value, because some values are private keys.
 */
final class FileRecordException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    FileRecordException(String message) {
        super(message);
    }

    FileRecordException(String message, Throwable cause) {
        super(message, cause);
    }
}
