package io.jamesacme.smime.authenticity;

import java.util.Optional;

import io.jamesacme.smime.rfc8823.RejectionReason;

/**
 * The result of an authenticity check: the method that proved the mail authentic, or the
 * reason it did not, with a detail for the log. The detail never contains a token or a key.
 */
public record Verdict(Optional<AuthenticityMethod> method, Optional<RejectionReason> reason,
                      String detail) {

    public static Verdict authentic(AuthenticityMethod method, String detail) {
        return new Verdict(Optional.of(method), Optional.empty(), detail);
    }

    public static Verdict rejected(RejectionReason reason, String detail) {
        return new Verdict(Optional.empty(), Optional.of(reason), detail);
    }

    public boolean isAuthentic() {
        return method.isPresent();
    }
}
