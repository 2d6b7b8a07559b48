package io.jamesacme.testca;

import java.util.Locale;

/** Status values of RFC 8555 section 7.1.6, written in lower case in JSON. */
enum AcmeStatus {
    PENDING, READY, PROCESSING, VALID, INVALID, DEACTIVATED, EXPIRED;

    String json() {
        return name().toLowerCase(Locale.ROOT);
    }
}
