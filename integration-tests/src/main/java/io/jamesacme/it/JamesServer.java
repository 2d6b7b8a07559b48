package io.jamesacme.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Apache James 3.8.1 (memory app) running as a child JVM in a {@link JamesWorkingDirectory}.
 * Standard output and error go to {@code james.log} in that directory. A JVM shutdown hook
 * destroys the process if {@link #close()} was never called.
 */
public final class JamesServer implements AutoCloseable {

    private static final Logger LOGGER = LoggerFactory.getLogger(JamesServer.class);
    private static final String MAIN_CLASS = "org.apache.james.MemoryJamesServerMain";
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(20);
    private static final int LOG_TAIL_LINES = 80;

    private final JamesWorkingDirectory workingDirectory;
    private final Process process;
    private final Thread shutdownHook;
    private final WebAdminClient webAdmin;

    private JamesServer(JamesWorkingDirectory workingDirectory, Process process) {
        this.workingDirectory = workingDirectory;
        this.process = process;
        this.shutdownHook = new Thread(this::destroy, "stop-james-" + process.pid());
        this.webAdmin = new WebAdminClient(URI.create("http://127.0.0.1:" + workingDirectory.webAdminPort()));
        Runtime.getRuntime().addShutdownHook(shutdownHook);
    }

    /**
     * Starts James from {@code workingDirectory} with the James classpath of {@code layout} and
     * waits until WebAdmin responds.
     *
     * @throws IllegalStateException if James exits or does not answer within {@code startTimeout};
     *     the message contains the end of james.log
     */
    public static JamesServer start(ProjectLayout layout, JamesWorkingDirectory workingDirectory,
                                    Duration startTimeout) throws IOException {
        Path directory = workingDirectory.directory();
        // An argument file keeps the 300-jar classpath off the command line.
        Path argumentFile = directory.resolve("james-jvm.args");
        Files.write(argumentFile, List.of(
                "-Xmx512m",
                "-Dworking.directory=" + directory,
                "-Dlogback.configurationFile=" + workingDirectory.conf().resolve("logback.xml"),
                "-Dextra.props=" + workingDirectory.conf().resolve("jvm.properties"),
                // conf/ comes first: the sample's DKIMSign reads its key from the classpath.
                "-cp",
                workingDirectory.conf() + java.io.File.pathSeparator + layout.jamesClasspath()),
                StandardCharsets.UTF_8);

        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        ProcessBuilder builder = new ProcessBuilder(java.toString(), "@" + argumentFile, MAIN_CLASS)
                .directory(directory.toFile())
                .redirectErrorStream(true)
                .redirectOutput(workingDirectory.logFile().toFile());
        LOGGER.info("Starting James in {} (log: {})", directory, workingDirectory.logFile());
        JamesServer server = new JamesServer(workingDirectory, builder.start());
        try {
            server.awaitWebAdmin(startTimeout);
        } catch (RuntimeException e) {
            server.close();
            throw e;
        }
        LOGGER.info("James started: pid {}, SMTP {}, IMAP {}, WebAdmin {}", server.process.pid(),
                workingDirectory.smtpPort(), workingDirectory.imapPort(), workingDirectory.webAdminPort());
        return server;
    }

    private void awaitWebAdmin(Duration timeout) {
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        HttpRequest request = HttpRequest.newBuilder(URI.create(webAdmin.baseUri() + "/domains"))
                .timeout(Duration.ofSeconds(5))
                .GET()
                .build();
        Instant deadline = Instant.now().plus(timeout);
        while (Instant.now().isBefore(deadline)) {
            if (!process.isAlive()) {
                throw new IllegalStateException("James exited with code " + process.exitValue()
                        + " during start. " + describeLog());
            }
            try {
                HttpResponse<Void> response = client.send(request, HttpResponse.BodyHandlers.discarding());
                if (response.statusCode() == 200) {
                    return;
                }
            } catch (IOException e) {
                // WebAdmin is not listening yet.
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("Interrupted while waiting for James to start", e);
            }
            sleep(Duration.ofMillis(250));
        }
        throw new IllegalStateException("James did not respond on WebAdmin port " + workingDirectory.webAdminPort()
                + " within " + timeout.toSeconds() + " s. " + describeLog());
    }

    public WebAdminClient webAdmin() {
        return webAdmin;
    }

    public JamesWorkingDirectory workingDirectory() {
        return workingDirectory;
    }

    public int smtpPort() {
        return workingDirectory.smtpPort();
    }

    public int imapPort() {
        return workingDirectory.imapPort();
    }

    public int webAdminPort() {
        return workingDirectory.webAdminPort();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    public long pid() {
        return process.pid();
    }

    /** Returns the current content of james.log. */
    public String log() {
        try {
            return Files.readString(workingDirectory.logFile(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("Failed to read " + workingDirectory.logFile(), e);
        }
    }

    /** Returns the last {@code lines} lines of james.log. */
    public String logTail(int lines) {
        Deque<String> tail = new ArrayDeque<>();
        try {
            for (String line : Files.readAllLines(workingDirectory.logFile(), StandardCharsets.UTF_8)) {
                tail.addLast(line);
                if (tail.size() > lines) {
                    tail.removeFirst();
                }
            }
        } catch (IOException e) {
            return "(james.log not readable: " + e.getMessage() + ")";
        }
        return String.join(System.lineSeparator(), tail);
    }

    /** Returns the log file name and its last lines, for error messages. */
    public String describeLog() {
        return "Last " + LOG_TAIL_LINES + " lines of " + workingDirectory.logFile() + ":" + System.lineSeparator()
                + logTail(LOG_TAIL_LINES);
    }

    /** Stops James: SIGTERM, then a forced kill after 20 s. */
    @Override
    public void close() {
        destroy();
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException e) {
            // The JVM is already shutting down and runs the hook itself.
        }
    }

    private void destroy() {
        if (!process.isAlive()) {
            return;
        }
        process.destroy();
        try {
            if (!process.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                LOGGER.warn("James (pid {}) did not stop within {} s; killing it", process.pid(), STOP_TIMEOUT.toSeconds());
                process.destroyForcibly();
                process.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
        LOGGER.info("James (pid {}) stopped", process.pid());
    }

    private static void sleep(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while waiting for James to start", e);
        }
    }
}
