package io.jamesacme.testca;

/** Signing mode of the CA's challenge mails: their signature and their header fields. */
public enum ChallengeSigning {
    /** No signature; From, To, Subject, Date, Message-ID and Auto-Submitted. The default. */
    UNSIGNED,
    /** No signature and no Message-ID, Date or Auto-Submitted header field. */
    BARE,
    /** The UNSIGNED mail with a DKIM-Signature by the CA's key for the CA address's domain. */
    DKIM,
    /**
     * The UNSIGNED mail as multipart/signed S/MIME by the CA's signing certificate. The signed
     * part repeats From, To and Subject, so a recipient can check them against the outer ones.
     */
    SMIME
}
