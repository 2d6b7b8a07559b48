package io.jamesacme.smime.state;

import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The paths of a {@link FileStateStore} folder:
 *
 * <pre>
 * .lock                          the store lock
 * account.properties             the ACME account, mode 0600
 * orders/&lt;id&gt;.properties         one file per order, mode 0600
 * addresses/&lt;sha256&gt;.properties  per address: the latest order and the one before it
 * claims/&lt;sha256&gt;.properties     per claimed challenge URL
 * leases/&lt;sha256&gt;.properties     per lease name
 * </pre>
 *
 * A {@code <sha256>} is the hex SHA-256 digest of the address, URL or name, which the file
 * also contains.
 */
final class FileStoreLayout {
    /**
     * Order ids that can be file names on every common file system: up to 128 letters, digits,
     * dots, underscores and hyphens, starting with a letter or digit. UUIDs match.
     */
    static final Pattern ORDER_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");

    private final Path root;

    FileStoreLayout(Path root) {
        this.root = root;
    }

    Path root() {
        return root;
    }

    Path account() {
        return root.resolve("account" + FileRecordIo.RECORD_SUFFIX);
    }

    Path orders() {
        return root.resolve("orders");
    }

    Path addresses() {
        return root.resolve("addresses");
    }

    Path claims() {
        return root.resolve("claims");
    }

    Path leases() {
        return root.resolve("leases");
    }

    List<Path> folders() {
        return List.of(orders(), addresses(), claims(), leases());
    }

    /** Returns the file of an order. The id must match {@link #ORDER_ID}. */
    Path order(String id) {
        if (!isValidOrderId(id)) {
            throw new IllegalArgumentException("Invalid order id '" + id + "': expected "
                + ORDER_ID.pattern());
        }
        return orders().resolve(id + FileRecordIo.RECORD_SUFFIX);
    }

    Path addressIndex(String address) {
        return addresses().resolve(FileRecordIo.digestName(address) + FileRecordIo.RECORD_SUFFIX);
    }

    Path claim(String challengeUrl) {
        return claims().resolve(FileRecordIo.digestName(challengeUrl) + FileRecordIo.RECORD_SUFFIX);
    }

    Path lease(String name) {
        return leases().resolve(FileRecordIo.digestName(name) + FileRecordIo.RECORD_SUFFIX);
    }

    static boolean isValidOrderId(String id) {
        return ORDER_ID.matcher(id).matches();
    }
}
