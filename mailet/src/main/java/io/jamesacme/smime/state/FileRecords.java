package io.jamesacme.smime.state;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Base64;
import java.util.Optional;
import java.util.Properties;

/**
 * Converts the records of a {@link FileStateStore} to and from the properties of their files.
 * Binary fields are base64, instants ISO-8601 and optional fields are left out when empty.
 * A parse method raises {@link FileRecordException} naming the field that is missing or
 * invalid, never its value.
 */
final class FileRecords {

    /**
     * The orders of one address: the one created last, the one before it, and the latest
     * {@link OrderState#STORED} one. Both ids are written before the new order's file, so a
     * crash in between leaves {@code latest} naming a missing file and {@code previous} naming
     * the order that was latest before. {@code stored} is written after the order became
     * STORED, and opening the store repairs it when a crash came in between.
     */
    record AddressIndex(String address, String latest, Optional<String> previous,
                        Optional<String> stored) {
        AddressIndex withStored(String id) {
            return new AddressIndex(address, latest, previous, Optional.of(id));
        }
    }

    /** The first claim of a challenge URL. */
    record Claim(String challengeUrl, String claimant, Instant claimedAt) {
    }

    /** A named lease, held by {@code owner} until {@code expiresAt}. */
    record Lease(String name, String owner, Instant expiresAt) {
    }

    private FileRecords() {
    }

    static Properties account(AccountRecord account) {
        Properties fields = new Properties();
        fields.setProperty("privateKey", Base64.getEncoder().encodeToString(account.privateKey()));
        fields.setProperty("publicKey", Base64.getEncoder().encodeToString(account.publicKey()));
        account.accountUrl().ifPresent(url -> fields.setProperty("accountUrl", url));
        fields.setProperty("createdAt", account.createdAt().toString());
        account.newPrivateKey().ifPresent(key ->
            fields.setProperty("newPrivateKey", Base64.getEncoder().encodeToString(key)));
        account.newPublicKey().ifPresent(key ->
            fields.setProperty("newPublicKey", Base64.getEncoder().encodeToString(key)));
        account.newKeyCreatedAt().ifPresent(time -> fields.setProperty("newKeyCreatedAt", time.toString()));
        return fields;
    }

    static AccountRecord account(Properties fields) {
        Optional<byte[]> newPrivateKey = optional(fields, "newPrivateKey")
            .map(value -> base64(value, "newPrivateKey"));
        Optional<byte[]> newPublicKey = optional(fields, "newPublicKey")
            .map(value -> base64(value, "newPublicKey"));
        Optional<Instant> newKeyCreatedAt = optional(fields, "newKeyCreatedAt")
            .map(value -> instant(value, "newKeyCreatedAt"));
        if (newPrivateKey.isPresent() != newPublicKey.isPresent()
                || newPrivateKey.isPresent() != newKeyCreatedAt.isPresent()) {
            throw new FileRecordException("the fields newPrivateKey, newPublicKey and newKeyCreatedAt"
                + " must come together");
        }
        return new AccountRecord(binary(fields, "privateKey"), binary(fields, "publicKey"),
            optional(fields, "accountUrl"), instant(fields, "createdAt"), newPrivateKey,
            newPublicKey, newKeyCreatedAt);
    }

    static Properties order(OrderRecord order) {
        Properties fields = new Properties();
        fields.setProperty("id", order.id());
        fields.setProperty("address", order.address());
        fields.setProperty("state", order.state().name());
        order.orderUrl().ifPresent(value -> fields.setProperty("orderUrl", value));
        order.challengeUrl().ifPresent(value -> fields.setProperty("challengeUrl", value));
        order.tokenPart2().ifPresent(value -> fields.setProperty("tokenPart2", value));
        order.challengeFrom().ifPresent(value -> fields.setProperty("challengeFrom", value));
        order.certificateKey().ifPresent(value ->
            fields.setProperty("certificateKey", Base64.getEncoder().encodeToString(value)));
        order.certificateChain().ifPresent(value -> fields.setProperty("certificateChain", value));
        order.failure().ifPresent(value -> fields.setProperty("failure", value));
        order.retryAt().ifPresent(value -> fields.setProperty("retryAt", value.toString()));
        fields.setProperty("attempts", Integer.toString(order.attempts()));
        fields.setProperty("version", Long.toString(order.version()));
        fields.setProperty("createdAt", order.createdAt().toString());
        fields.setProperty("updatedAt", order.updatedAt().toString());
        return fields;
    }

    static OrderRecord order(Properties fields) {
        return new OrderRecord(required(fields, "id"), required(fields, "address"),
            state(fields), optional(fields, "orderUrl"), optional(fields, "challengeUrl"),
            optional(fields, "tokenPart2"), optional(fields, "challengeFrom"),
            optional(fields, "certificateKey").map(value -> base64(value, "certificateKey")),
            optional(fields, "certificateChain"), optional(fields, "failure"),
            optional(fields, "retryAt").map(value -> instant(value, "retryAt")),
            (int) number(fields, "attempts"), number(fields, "version"),
            instant(fields, "createdAt"), instant(fields, "updatedAt"));
    }

    static Properties addressIndex(AddressIndex index) {
        Properties fields = new Properties();
        fields.setProperty("address", index.address());
        fields.setProperty("latest", index.latest());
        index.previous().ifPresent(id -> fields.setProperty("previous", id));
        index.stored().ifPresent(id -> fields.setProperty("stored", id));
        return fields;
    }

    static AddressIndex addressIndex(Properties fields) {
        return new AddressIndex(required(fields, "address"), required(fields, "latest"),
            optional(fields, "previous"), optional(fields, "stored"));
    }

    static Properties claim(Claim claim) {
        Properties fields = new Properties();
        fields.setProperty("challengeUrl", claim.challengeUrl());
        fields.setProperty("claimant", claim.claimant());
        fields.setProperty("claimedAt", claim.claimedAt().toString());
        return fields;
    }

    static Claim claim(Properties fields) {
        return new Claim(required(fields, "challengeUrl"), required(fields, "claimant"),
            instant(fields, "claimedAt"));
    }

    static Properties lease(Lease lease) {
        Properties fields = new Properties();
        fields.setProperty("name", lease.name());
        fields.setProperty("owner", lease.owner());
        fields.setProperty("expiresAt", lease.expiresAt().toString());
        return fields;
    }

    static Lease lease(Properties fields) {
        return new Lease(required(fields, "name"), required(fields, "owner"),
            instant(fields, "expiresAt"));
    }

    private static String required(Properties fields, String name) {
        String value = fields.getProperty(name);
        if (value == null) {
            throw new FileRecordException("the field " + name + " is missing");
        }
        return value;
    }

    private static Optional<String> optional(Properties fields, String name) {
        return Optional.ofNullable(fields.getProperty(name));
    }

    private static OrderState state(Properties fields) {
        try {
            return OrderState.valueOf(required(fields, "state"));
        } catch (IllegalArgumentException e) {
            throw new FileRecordException("the field state is not an order state", e);
        }
    }

    private static long number(Properties fields, String name) {
        try {
            return Long.parseLong(required(fields, name));
        } catch (NumberFormatException e) {
            throw new FileRecordException("the field " + name + " is not an integer", e);
        }
    }

    private static Instant instant(Properties fields, String name) {
        return instant(required(fields, name), name);
    }

    private static Instant instant(String value, String name) {
        try {
            return Instant.parse(value);
        } catch (DateTimeParseException e) {
            throw new FileRecordException("the field " + name + " is not an ISO-8601 instant", e);
        }
    }

    private static byte[] binary(Properties fields, String name) {
        return base64(required(fields, name), name);
    }

    private static byte[] base64(String value, String name) {
        try {
            return Base64.getDecoder().decode(value);
        } catch (IllegalArgumentException e) {
            // The cause's message quotes a character of the value, which may be a key.
            throw new FileRecordException("the field " + name + " is not base64");
        }
    }
}
