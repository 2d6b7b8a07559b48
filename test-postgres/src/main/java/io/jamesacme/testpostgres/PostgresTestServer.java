package io.jamesacme.testpostgres;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.ProcessBuilder.Redirect;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserPrincipal;
import java.nio.file.attribute.UserPrincipalNotFoundException;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.postgresql.ds.PGSimpleDataSource;

import com.sun.security.auth.module.UnixSystem;

/**
 * A PostgreSQL database for tests, registered with
 * {@code @RegisterExtension static final PostgresTestServer POSTGRES = new PostgresTestServer();}.
 *
 * <p>With {@code ACME_SMIME_TEST_POSTGRES_URL} set (and {@code ..._USER}, {@code ..._PASSWORD}),
 * the tests use that database. Otherwise the first test class starts a throwaway server with
 * the local {@code initdb} and {@code pg_ctl}, listening on 127.0.0.1 only, and creates the
 * database {@code acme_smime_test}. PostgreSQL refuses to run as root, so under uid 0 the
 * server commands run as the {@code postgres} system user through {@code runuser}. The server
 * is shared by every test class of the JVM and stopped with {@code pg_ctl stop -m fast} when
 * JUnit finishes, or by a shutdown hook if JUnit does not get there.
 *
 * <p>{@link #newSchema} gives each test an empty schema of its own, dropped after its class.
 */
public final class PostgresTestServer implements BeforeAllCallback, AfterAllCallback {
    public static final String URL_VARIABLE = "ACME_SMIME_TEST_POSTGRES_URL";
    public static final String USER_VARIABLE = "ACME_SMIME_TEST_POSTGRES_USER";
    public static final String PASSWORD_VARIABLE = "ACME_SMIME_TEST_POSTGRES_PASSWORD";

    private static final ExtensionContext.Namespace NAMESPACE =
        ExtensionContext.Namespace.create(PostgresTestServer.class);
    private static final String DATABASE = "acme_smime_test";
    private static final String SUPERUSER = "acme_smime_test";
    private static final SecureRandom RANDOM = new SecureRandom();

    private Database database;
    private final List<String> schemas = new ArrayList<>();

    @Override
    public void beforeAll(ExtensionContext context) {
        database = context.getRoot().getStore(NAMESPACE)
            .getOrComputeIfAbsent(Database.class, key -> Database.fromEnvironmentOrStart(), Database.class);
    }

    @Override
    public void afterAll(ExtensionContext context) throws SQLException {
        try (Connection connection = database.connect(); Statement statement = connection.createStatement()) {
            for (String schema : schemas) {
                statement.execute("DROP SCHEMA " + schema + " CASCADE");
            }
        }
        schemas.clear();
    }

    /** Creates an empty schema and returns the connection settings that work in it. */
    public TestDatabase newSchema() throws SQLException {
        String schema = "acme_smime_test_" + HexFormat.of().formatHex(randomBytes(6));
        try (Connection connection = database.connect(); Statement statement = connection.createStatement()) {
            statement.execute("CREATE SCHEMA " + schema);
        }
        schemas.add(schema);
        String separator = database.url().contains("?") ? "&" : "?";
        return new TestDatabase(database.url() + separator + "currentSchema=" + schema, database.user(),
            database.password());
    }

    /** Opens a plain connection with the given settings, for checks beside the store. */
    public static Connection connect(TestDatabase settings) throws SQLException {
        return dataSource(settings.jdbcUrl(), settings.user(), settings.password()).getConnection();
    }

    /** Returns true for the server these tests started, which requires a password. */
    public boolean isThrowaway() {
        return database.server().isPresent();
    }

    private static PGSimpleDataSource dataSource(String url, String user, String password) {
        PGSimpleDataSource dataSource = new PGSimpleDataSource();
        dataSource.setURL(url);
        dataSource.setUser(user);
        if (!password.isEmpty()) {
            dataSource.setPassword(password);
        }
        return dataSource;
    }

    private static byte[] randomBytes(int length) {
        byte[] bytes = new byte[length];
        RANDOM.nextBytes(bytes);
        return bytes;
    }

    /** The database the tests use, and the server to stop with it when the tests started one. */
    private record Database(String url, String user, String password, Optional<LocalServer> server)
        implements ExtensionContext.Store.CloseableResource {

        static Database fromEnvironmentOrStart() {
            String url = System.getenv(URL_VARIABLE);
            if (url != null && !url.isBlank()) {
                return new Database(url, Optional.ofNullable(System.getenv(USER_VARIABLE)).orElse("postgres"),
                    Optional.ofNullable(System.getenv(PASSWORD_VARIABLE)).orElse(""), Optional.empty());
            }
            LocalServer server = LocalServer.start();
            String password = server.password();
            String serverUrl = "jdbc:postgresql://127.0.0.1:" + server.port() + "/";
            try (Connection connection = dataSource(serverUrl + "postgres", SUPERUSER, password).getConnection();
                 Statement statement = connection.createStatement()) {
                statement.execute("CREATE DATABASE " + DATABASE);
            } catch (SQLException e) {
                server.stop();
                throw new IllegalStateException("Failed to create the test database on " + serverUrl, e);
            }
            return new Database(serverUrl + DATABASE, SUPERUSER, password, Optional.of(server));
        }

        Connection connect() throws SQLException {
            return dataSource(url, user, password).getConnection();
        }

        @Override
        public void close() {
            server.ifPresent(LocalServer::stop);
        }

        @Override
        public String toString() {
            return "Database[" + url + "]";
        }
    }

    /** A PostgreSQL server in a temporary folder, run by initdb and pg_ctl. */
    private static final class LocalServer {
        private static final int START_ATTEMPTS = 3;
        private static final long COMMAND_TIMEOUT_SECONDS = 60;

        private final Path binaries;
        private final List<String> runAs;
        private final Path folder;
        private final String password;
        private final AtomicBoolean stopped = new AtomicBoolean();
        private int port;

        private LocalServer(Path binaries, List<String> runAs, Path folder, String password) {
            this.binaries = binaries;
            this.runAs = runAs;
            this.folder = folder;
            this.password = password;
        }

        static LocalServer start() {
            Path binaries = findBinaries();
            boolean root = new UnixSystem().getUid() == 0;
            try {
                Path folder = Files.createTempDirectory("acme-smime-postgres-");
                List<String> runAs = List.of();
                if (root) {
                    // The folder is created with mode 0700, and postgres becomes its owner.
                    Files.setOwner(folder, postgresUser(folder));
                    runAs = List.of(findRunuser(), "-u", "postgres", "--");
                }
                LocalServer server = new LocalServer(binaries, runAs, folder,
                    Base64.getUrlEncoder().withoutPadding().encodeToString(randomBytes(24)));
                server.initialize(root);
                server.startOnFreePort();
                return server;
            } catch (IOException e) {
                throw new UncheckedIOException("Failed to start a PostgreSQL test server with " + binaries, e);
            }
        }

        int port() {
            return port;
        }

        String password() {
            return password;
        }

        void stop() {
            if (!stopped.compareAndSet(false, true)) {
                return;
            }
            try {
                run(List.of(binaries.resolve("pg_ctl").toString(), "-D", data().toString(), "-m", "fast", "-w",
                    "stop"));
            } catch (IOException | IllegalStateException e) {
                System.err.println("Failed to stop the PostgreSQL test server in " + folder + ": "
                    + e.getMessage());
                return;
            }
            deleteRecursively(folder);
        }

        private void initialize(boolean root) throws IOException {
            Path passwordFile = folder.resolve("password");
            Files.writeString(passwordFile, password + "\n", StandardCharsets.US_ASCII);
            if (root) {
                Files.setOwner(passwordFile, postgresUser(folder));
            }
            try {
                run(List.of(binaries.resolve("initdb").toString(), "-D", data().toString(), "-U", SUPERUSER,
                    "--pwfile=" + passwordFile, "--auth=scram-sha-256", "-E", "UTF8", "--locale=C", "--no-sync"));
            } finally {
                Files.deleteIfExists(passwordFile);
            }
        }

        /**
         * Starts the server on a port that was free a moment before. Another process may take
         * the port in between, so a failed start is tried again on another port.
         */
        private void startOnFreePort() throws IOException {
            IllegalStateException failure = null;
            for (int attempt = 0; attempt < START_ATTEMPTS; attempt++) {
                port = freeLoopbackPort();
                // Durability settings are off because the server lives only as long as the tests.
                String options = "-c listen_addresses=127.0.0.1 -p " + port + " -k " + folder
                    + " -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200";
                try {
                    run(List.of(binaries.resolve("pg_ctl").toString(), "-D", data().toString(), "-l",
                        folder.resolve("server.log").toString(), "-w", "-t", "60", "-o", options, "start"));
                    Runtime.getRuntime().addShutdownHook(new Thread(this::stop, "postgres-test-server-stop"));
                    return;
                } catch (IllegalStateException e) {
                    failure = e;
                }
            }
            String message = failure.getMessage() + "\nServer log:\n" + tail("server.log");
            throw new IllegalStateException(message, failure);
        }

        private void run(List<String> command) throws IOException {
            List<String> full = new ArrayList<>(runAs);
            full.addAll(command);
            Path output = folder.resolve("commands.log");
            // The server started by pg_ctl inherits this output, so it goes to a file, not a pipe.
            Process process = new ProcessBuilder(full)
                .directory(folder.toFile())
                .redirectErrorStream(true)
                .redirectOutput(Redirect.appendTo(output.toFile()))
                .redirectInput(Redirect.from(new File("/dev/null")))
                .start();
            try {
                if (!process.waitFor(COMMAND_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                    throw new IllegalStateException("Timed out after " + COMMAND_TIMEOUT_SECONDS + " s: "
                        + String.join(" ", full));
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("Interrupted while running " + String.join(" ", full), e);
            }
            if (process.exitValue() != 0) {
                throw new IllegalStateException("Command failed with exit code " + process.exitValue() + ": "
                    + String.join(" ", full) + "\n" + tail("commands.log"));
            }
        }

        private Path data() {
            return folder.resolve("data");
        }

        private String tail(String file) {
            try {
                List<String> lines = Files.readAllLines(folder.resolve(file), StandardCharsets.UTF_8);
                return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
            } catch (IOException e) {
                return "(" + file + " unreadable: " + e.getMessage() + ")";
            }
        }

        private static UserPrincipal postgresUser(Path folder) throws IOException {
            try {
                return folder.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("postgres");
            } catch (UserPrincipalNotFoundException e) {
                throw new IllegalStateException("The tests run as root, under which PostgreSQL does not"
                    + " run, and there is no postgres system user to run the server as. Install the"
                    + " postgresql package, which creates it, run the tests as another user, or set "
                    + URL_VARIABLE, e);
            }
        }

        /** Returns the folder of initdb and pg_ctl: the first on PATH, else the newest Debian one. */
        private static Path findBinaries() {
            List<Path> candidates = new ArrayList<>();
            for (String entry : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
                if (!entry.isEmpty()) {
                    candidates.add(Path.of(entry));
                }
            }
            candidates.addAll(debianBinaryFolders());
            for (Path folder : candidates) {
                Path initdb = folder.resolve("initdb");
                if (Files.isExecutable(initdb) && Files.isExecutable(folder.resolve("pg_ctl"))) {
                    // On PATH they may be links into the real folder, which also contains postgres.
                    return realFolder(initdb);
                }
            }
            throw new IllegalStateException("PostgreSQL server binaries (initdb, pg_ctl) not found on PATH"
                + " or in /usr/lib/postgresql/*/bin. Install the PostgreSQL server (Debian: apt-get install"
                + " postgresql) or set " + URL_VARIABLE + " to a database the tests may create schemas in.");
        }

        private static List<Path> debianBinaryFolders() {
            Path root = Path.of("/usr/lib/postgresql");
            if (!Files.isDirectory(root)) {
                return List.of();
            }
            try (Stream<Path> versions = Files.list(root)) {
                return versions.filter(version -> version.getFileName().toString().matches("\\d+"))
                    .sorted(Comparator.comparingInt(LocalServer::majorVersion).reversed())
                    .map(version -> version.resolve("bin"))
                    .toList();
            } catch (IOException e) {
                throw new UncheckedIOException("Failed to list " + root, e);
            }
        }

        private static int majorVersion(Path versionFolder) {
            return Integer.parseInt(versionFolder.getFileName().toString());
        }

        private static Path realFolder(Path binary) {
            try {
                return binary.toRealPath().getParent();
            } catch (IOException e) {
                throw new UncheckedIOException("Failed to resolve " + binary, e);
            }
        }

        private static String findRunuser() {
            for (String folder : List.of("/usr/sbin", "/sbin", "/usr/bin", "/bin")) {
                Path runuser = Path.of(folder, "runuser");
                if (Files.isExecutable(runuser)) {
                    return runuser.toString();
                }
            }
            throw new IllegalStateException("The tests run as root, under which PostgreSQL does not run,"
                + " and runuser (util-linux) was not found to run the server as postgres. Run the tests"
                + " as another user or set " + URL_VARIABLE);
        }

        private static int freeLoopbackPort() throws IOException {
            try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
                return socket.getLocalPort();
            }
        }

        private static void deleteRecursively(Path folder) {
            try (Stream<Path> paths = Files.walk(folder)) {
                for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(path);
                }
            } catch (IOException e) {
                System.err.println("Failed to delete " + folder + ": " + e.getMessage());
            }
        }
    }
}
