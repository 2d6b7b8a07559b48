package io.jamesacme.smime.state;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

import io.jamesacme.smime.state.FileRecords.AddressIndex;

/**
 * The order files and address indexes of a {@link FileStateStore}. Every method runs under the
 * store lock.
 *
 * <p>The index of an address names its latest order, so that finding the active order reads
 * two files instead of every order. No order except the latest can be active: a new order is
 * created only while the latest one is inactive, and an update may make an inactive order
 * active again only if it is still the latest.
 */
final class FileOrders {
    /** Oldest first, and by id among orders created at the same instant. */
    static final Comparator<OrderRecord> OLDEST_FIRST =
        Comparator.comparing(OrderRecord::createdAt).thenComparing(OrderRecord::id);

    private final FileStoreLayout layout;
    private final FileRecordIo io;

    FileOrders(FileStoreLayout layout, FileRecordIo io) {
        this.layout = layout;
        this.io = io;
    }

    /**
     * Reads an order. An id that does not match {@link FileStoreLayout#ORDER_ID} gives an
     * empty result.
     */
    Optional<OrderRecord> read(String id) throws IOException {
        if (!FileStoreLayout.isValidOrderId(id)) {
            return Optional.empty();
        }
        return io.read(layout.order(id), fields -> {
            OrderRecord order = FileRecords.order(fields);
            if (!order.id().equals(id)) {
                throw new FileRecordException("the file contains another order id");
            }
            return order;
        });
    }

    /** Reads the index of {@code address}. */
    Optional<AddressIndex> readIndex(String address) throws IOException {
        return io.read(layout.addressIndex(address), fields -> {
            AddressIndex index = FileRecords.addressIndex(fields);
            if (!index.address().equals(address)) {
                throw new FileRecordException("the file contains the index of another address");
            }
            return index;
        });
    }

    /** Returns the latest order of {@code address} that has a readable file. */
    Optional<OrderRecord> latest(String address) throws IOException {
        Optional<AddressIndex> index = readIndex(address);
        if (index.isEmpty()) {
            return Optional.empty();
        }
        return latest(index.get());
    }

    Optional<OrderRecord> latest(AddressIndex index) throws IOException {
        List<String> candidates = new ArrayList<>();
        candidates.add(index.latest());
        index.previous().ifPresent(candidates::add);
        for (String id : candidates) {
            Optional<OrderRecord> order = read(id);
            if (order.isPresent() && order.get().address().equals(index.address())) {
                return order;
            }
        }
        return Optional.empty();
    }

    /**
     * Creates an order unless the address has an active one, as
     * {@link StateStore#createOrder} describes.
     */
    Optional<OrderRecord> create(String id, String address, Instant now) throws IOException {
        Path file = layout.order(id);
        if (Files.exists(file)) {
            throw new StateStoreException("Cannot create order " + id + " in the state store "
                + layout.root() + ": an order with this id exists");
        }
        Optional<OrderRecord> latest = latest(address);
        if (latest.isPresent() && latest.get().state().isActive()) {
            return Optional.empty();
        }
        // The index names the new order before its file exists, so that a crash between the
        // two writes cannot leave an active order that no index leads to.
        Optional<String> stored = readIndex(address).flatMap(AddressIndex::stored);
        writeIndex(new AddressIndex(address, id, latest.map(OrderRecord::id), stored));
        OrderRecord created = OrderRecord.created(id, address, now).withVersion(1);
        write(created);
        return Optional.of(created);
    }

    /**
     * Writes {@code record} if its version is the stored one, as {@link StateStore#update}
     * describes.
     */
    OrderRecord update(OrderRecord record) throws IOException {
        OrderRecord stored = read(record.id()).orElseThrow(() -> new StateStoreException(
            "Cannot update order " + record.id() + ": it was not found in the state store "
                + layout.root()));
        if (stored.version() != record.version()) {
            throw new ConcurrentUpdateException(record.id(), record.version(), stored.version());
        }
        if (!stored.address().equals(record.address())) {
            throw new StateStoreException("Cannot update order " + record.id() + ": it belongs to "
                + stored.address() + ", and an update cannot change the address to "
                + record.address());
        }
        if (!stored.state().isActive() && record.state().isActive()) {
            checkIsLatest(stored);
        }
        OrderRecord written = record.withVersion(stored.version() + 1);
        write(written);
        if (written.state() == OrderState.STORED && stored.state() != OrderState.STORED) {
            indexStored(written);
        }
        return written;
    }

    /** Returns the latest {@link OrderState#STORED} order of {@code address}. */
    Optional<OrderRecord> latestStored(String address) throws IOException {
        Optional<String> id = readIndex(address).flatMap(AddressIndex::stored);
        if (id.isEmpty()) {
            return Optional.empty();
        }
        return read(id.get()).filter(order -> order.address().equals(address)
            && order.state() == OrderState.STORED);
    }

    /** Returns every order of {@code address}, oldest first. It reads every order file. */
    List<OrderRecord> ofAddress(String address) throws IOException {
        List<OrderRecord> found = new ArrayList<>();
        for (OrderRecord order : all()) {
            if (order.address().equals(address)) {
                found.add(order);
            }
        }
        found.sort(OLDEST_FIRST);
        return found;
    }

    /** Names {@code order} as the latest STORED one in the index, unless a newer one is named. */
    private void indexStored(OrderRecord order) throws IOException {
        Optional<AddressIndex> index = readIndex(order.address());
        if (index.isEmpty()) {
            // Opening the store rebuilds a missing index, with this order in it.
            return;
        }
        Optional<OrderRecord> named = latestStored(order.address());
        if (named.isPresent() && OLDEST_FIRST.compare(named.get(), order) > 0) {
            return;
        }
        writeIndex(index.get().withStored(order.id()));
    }

    /** Returns the active orders, oldest first. Each is found through the index of its address. */
    List<OrderRecord> active() throws IOException {
        List<OrderRecord> active = new ArrayList<>();
        for (Path file : FileRecordIo.records(layout.addresses())) {
            Optional<AddressIndex> index = io.read(file, FileRecords::addressIndex);
            if (index.isEmpty()) {
                continue;
            }
            latest(index.get()).filter(order -> order.state().isActive()).ifPresent(active::add);
        }
        active.sort(OLDEST_FIRST);
        return active;
    }

    /** Reads every order file, quarantining the damaged ones. */
    List<OrderRecord> all() throws IOException {
        List<OrderRecord> orders = new ArrayList<>();
        for (Path file : FileRecordIo.records(layout.orders())) {
            String name = file.getFileName().toString();
            String id = name.substring(0, name.length() - FileRecordIo.RECORD_SUFFIX.length());
            read(id).ifPresent(orders::add);
        }
        return orders;
    }

    void writeIndex(AddressIndex index) throws IOException {
        io.write(layout.addressIndex(index.address()), "james-acme-smime orders of an address",
            FileRecords.addressIndex(index));
    }

    private void write(OrderRecord order) throws IOException {
        io.write(layout.order(order.id()), "james-acme-smime order", FileRecords.order(order));
    }

    private void checkIsLatest(OrderRecord stored) throws IOException {
        Optional<OrderRecord> latest = latest(stored.address());
        boolean isLatest = latest.map(order -> order.id().equals(stored.id())).orElse(false);
        if (!isLatest) {
            String newer = latest.map(OrderRecord::id).orElse("none");
            throw new StateStoreException("Cannot make order " + stored.id() + " of "
                + stored.address() + " active again: it is no longer the latest order of the"
                + " address (latest: " + newer + ")");
        }
    }

    static Stream<OrderRecord> activeOf(List<OrderRecord> orders) {
        return orders.stream().filter(order -> order.state().isActive());
    }
}
