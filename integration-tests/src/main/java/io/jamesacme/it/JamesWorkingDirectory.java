package io.jamesacme.it;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.transform.OutputKeys;
import javax.xml.transform.TransformerFactory;
import javax.xml.transform.dom.DOMSource;
import javax.xml.transform.stream.StreamResult;

import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

/**
 * A James working directory laid out as an operator would: {@code conf/} copied from the sample
 * configuration and {@code extensions-jars/} holding the packaged extension and its dependencies.
 * Every listening port is moved to a free port on 127.0.0.1.
 */
public final class JamesWorkingDirectory {

    private static final List<String> PROTOCOL_FILES = List.of(
            "smtpserver.xml", "imapserver.xml", "lmtpserver.xml", "pop3server.xml", "managesieveserver.xml");
    private static final String LOOPBACK = "127.0.0.1";
    private static final Pattern SYSTEM_PROPERTY_NAME = Pattern.compile("[A-Za-z0-9._-]+");
    /** Domain and selector of the DKIMSign mailet in the sample's acme-response processor. */
    public static final String RESPONSE_DKIM_DOMAIN = "example.test";
    public static final String RESPONSE_DKIM_SELECTOR = "acme-smime";

    private final Path directory;
    private final Map<String, Integer> portsByServer;
    private final int webAdminPort;
    private final int jmxPort;
    private final String pkcs12Passphrase;
    private final String responseDkimRecord;
    private final Map<String, String> systemProperties = new LinkedHashMap<>();

    private JamesWorkingDirectory(Path directory, Map<String, Integer> portsByServer, int webAdminPort,
                                  int jmxPort, String pkcs12Passphrase, String responseDkimRecord) {
        this.directory = directory;
        this.portsByServer = portsByServer;
        this.webAdminPort = webAdminPort;
        this.jmxPort = jmxPort;
        this.pkcs12Passphrase = pkcs12Passphrase;
        this.responseDkimRecord = responseDkimRecord;
    }

    /**
     * Creates the working directory: copies the configuration and the extension jars, moves the
     * ports and writes a random PKCS#12 passphrase to {@code conf/pkcs12-passphrase.txt}.
     *
     * @param directory an empty or missing directory
     */
    public static JamesWorkingDirectory create(ProjectLayout layout, Path directory) throws IOException {
        return create(layout, directory, new FreePorts(), null);
    }

    /**
     * Creates a working directory like {@link #create(ProjectLayout, Path)}, taking its ports from
     * {@code freePorts} so that directories created with the same instance never share a port.
     *
     * @param secretsFrom a directory whose PKCS#12 passphrase and response DKIM key this one
     *     reuses, as the nodes of one cluster must; {@code null} generates new ones
     */
    static JamesWorkingDirectory create(ProjectLayout layout, Path directory, FreePorts freePorts,
                                        JamesWorkingDirectory secretsFrom) throws IOException {
        layout.requireBuilt();
        Path absolute = directory.toAbsolutePath().normalize();
        Path conf = absolute.resolve("conf");
        Path extensions = absolute.resolve("extensions-jars");
        Files.createDirectories(extensions);
        copyFolder(layout.sampleConfiguration(), conf);
        for (Path jar : layout.extensionJars()) {
            Files.copy(jar, extensions.resolve(jar.getFileName()), StandardCopyOption.REPLACE_EXISTING);
        }

        Map<String, Integer> portsByServer = new LinkedHashMap<>();
        for (String file : PROTOCOL_FILES) {
            Path path = conf.resolve(file);
            if (Files.exists(path)) {
                portsByServer.putAll(rebindServers(path, freePorts));
            }
        }
        int webAdminPort = freePorts.next();
        setProperties(conf.resolve("webadmin.properties"), Map.of("host", LOOPBACK, "port", String.valueOf(webAdminPort)));
        int jmxPort = freePorts.next();
        setProperties(conf.resolve("jmx.properties"), Map.of("jmx.address", LOOPBACK, "jmx.port", String.valueOf(jmxPort)));

        String passphrase = secretsFrom == null ? randomSecret() : secretsFrom.pkcs12Passphrase;
        Path passphraseFile = conf.resolve("pkcs12-passphrase.txt");
        Files.writeString(passphraseFile, passphrase + "\n", StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(passphraseFile, PosixFilePermissions.fromString("rw-------"));

        String dkimRecord;
        if (secretsFrom == null) {
            dkimRecord = createResponseSigningKey(conf);
        } else {
            copyResponseSigningKey(secretsFrom.conf(), conf);
            dkimRecord = secretsFrom.responseDkimRecord;
        }
        return new JamesWorkingDirectory(absolute, portsByServer, webAdminPort, jmxPort, passphrase,
                dkimRecord);
    }

    /**
     * Creates the RSA key that the sample's DKIMSign mailet signs responses of
     * {@value #RESPONSE_DKIM_DOMAIN} with, at {@code conf/dkim/<domain>.pem}, and returns the
     * TXT value a DNS zone would publish for it.
     */
    private static String createResponseSigningKey(Path conf) throws IOException {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
            generator.initialize(2048);
            KeyPair keyPair = generator.generateKeyPair();
            Path dkim = Files.createDirectories(conf.resolve("dkim"));
            Path keyFile = dkim.resolve(RESPONSE_DKIM_DOMAIN + ".pem");
            String pem = "-----BEGIN PRIVATE KEY-----\n"
                    + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                            .encodeToString(keyPair.getPrivate().getEncoded())
                    + "\n-----END PRIVATE KEY-----\n";
            Files.writeString(keyFile, pem, StandardCharsets.US_ASCII);
            Files.setPosixFilePermissions(keyFile, PosixFilePermissions.fromString("rw-------"));
            return "v=DKIM1; k=rsa; p=" + Base64.getEncoder().encodeToString(keyPair.getPublic().getEncoded());
        } catch (GeneralSecurityException e) {
            throw new IOException("Cannot create the DKIM key for responses", e);
        }
    }

    private static void copyResponseSigningKey(Path sourceConf, Path conf) throws IOException {
        Path relative = Path.of("dkim", RESPONSE_DKIM_DOMAIN + ".pem");
        Path keyFile = conf.resolve(relative);
        Files.createDirectories(keyFile.getParent());
        Files.copy(sourceConf.resolve(relative), keyFile, StandardCopyOption.REPLACE_EXISTING);
        Files.setPosixFilePermissions(keyFile, PosixFilePermissions.fromString("rw-------"));
    }

    /** TXT value of {@value #RESPONSE_DKIM_SELECTOR}._domainkey.{@value #RESPONSE_DKIM_DOMAIN}. */
    public String responseDkimRecord() {
        return responseDkimRecord;
    }

    /**
     * Sets keys of {@code conf/acme-smime.properties}, keeping the sample's comments. The passphrase
     * source always points at the generated passphrase file.
     */
    public void configureAcme(Map<String, String> settings) throws IOException {
        Map<String, String> all = new LinkedHashMap<>(settings);
        all.put("pkcs12.passphrase.source", "file:" + conf().resolve("pkcs12-passphrase.txt"));
        setProperties(conf().resolve("acme-smime.properties"), all);
    }

    /**
     * Sets an init parameter of the {@code AnswerAcmeChallenge} mailet in
     * {@code conf/mailetcontainer.xml}, replacing the sample's value.
     */
    public void setChallengeMailetParameter(String name, String value) throws IOException {
        Path file = conf().resolve("mailetcontainer.xml");
        String xml = Files.readString(file, StandardCharsets.UTF_8);
        Pattern element = Pattern.compile("<" + Pattern.quote(name) + ">[^<]*</" + Pattern.quote(name) + ">");
        Matcher matcher = element.matcher(xml);
        if (!matcher.find()) {
            throw new IOException("mailetcontainer.xml has no <" + name + "> parameter to replace");
        }
        Files.writeString(file, matcher.replaceFirst(Matcher.quoteReplacement(
                "<" + name + ">" + value + "</" + name + ">")), StandardCharsets.UTF_8);
    }

    /**
     * Sets a JVM system property of James for its next start from this directory. The property
     * stays set for every later start until {@link #removeSystemProperty} removes it.
     *
     * <p>{@link JamesServer#start} passes it as {@code -Dname=value} on the command line, so it is
     * set before any class loads, and {@code /proc/<pid>/cmdline} shows it. It does not go to
     * {@code conf/jvm.properties}. James 3.8.1 loads that file ({@code -Dextra.props}) in the
     * first statement of {@code MemoryJamesServerMain.main}, before it loads the extension, but
     * the static initializer of that class has configured logback already, so logback never
     * reads a property set there (measured with {@code logback.statusListenerClass}). A value in
     * that file replaces a {@code -D} value of the same name.
     *
     * @param name letters, digits, dots, hyphens and underscores
     * @param value any text without NUL characters. Characters outside ASCII arrive intact only
     *     when the platform encoding ({@code sun.jnu.encoding}) can represent them.
     */
    public synchronized void setSystemProperty(String name, String value) {
        requireSystemPropertyName(name);
        if (value.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("Invalid value of system property " + name
                    + ": it contains a NUL character, which a command line cannot carry");
        }
        systemProperties.put(name, value);
    }

    /** Removes a system property set with {@link #setSystemProperty}. Does nothing when it is not set. */
    public synchronized void removeSystemProperty(String name) {
        requireSystemPropertyName(name);
        systemProperties.remove(name);
    }

    /** Returns the system properties that the next start of James passes, in the order they were first set. */
    public synchronized Map<String, String> systemProperties() {
        return Collections.unmodifiableMap(new LinkedHashMap<>(systemProperties));
    }

    public Path directory() {
        return directory;
    }

    public Path conf() {
        return directory.resolve("conf");
    }

    public Path extensionsJars() {
        return directory.resolve("extensions-jars");
    }

    /** Log file of the James process started from this directory. */
    public Path logFile() {
        return directory.resolve("james.log");
    }

    /** Certificate store of the extension, as set by {@code storage.directory} in the sample. */
    public Path certificatesDirectory() {
        return directory.resolve("var").resolve("acme-smime").resolve("certificates");
    }

    /** Port of the SMTP server that accepts mail for hosted users without authentication. */
    public int smtpPort() {
        return port("smtpserver-global");
    }

    /** Port of the SMTP submission server (AUTH required for relaying). */
    public int submissionPort() {
        return port("smtpserver-submission");
    }

    public int imapPort() {
        return port("imapserver");
    }

    public int webAdminPort() {
        return webAdminPort;
    }

    public int jmxPort() {
        return jmxPort;
    }

    /** Passphrase of every PKCS#12 file the extension writes. */
    public String pkcs12Passphrase() {
        return pkcs12Passphrase;
    }

    private int port(String jmxName) {
        Integer port = portsByServer.get(jmxName);
        if (port == null) {
            throw new IllegalStateException("No server with jmxName " + jmxName + " in " + conf()
                    + "; configured servers: " + portsByServer.keySet());
        }
        return port;
    }

    private static void copyFolder(Path source, Path target) throws IOException {
        try (Stream<Path> paths = Files.walk(source)) {
            for (Path path : (Iterable<Path>) paths::iterator) {
                Path destination = target.resolve(source.relativize(path).toString());
                if (Files.isDirectory(path)) {
                    Files.createDirectories(destination);
                } else {
                    Files.copy(path, destination, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
    }

    /** Moves each server of a James protocol file (a child element with bind and jmxName) to a free port. */
    private static Map<String, Integer> rebindServers(Path file, FreePorts freePorts) throws IOException {
        try {
            DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
            factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            Document document = factory.newDocumentBuilder().parse(file.toFile());
            Map<String, Integer> ports = new LinkedHashMap<>();
            NodeList servers = document.getDocumentElement().getChildNodes();
            for (int i = 0; i < servers.getLength(); i++) {
                Node node = servers.item(i);
                if (!(node instanceof Element server)) {
                    continue;
                }
                Element bind = firstChild(server, "bind");
                Element jmxName = firstChild(server, "jmxName");
                if (bind == null || jmxName == null) {
                    continue;
                }
                int port = freePorts.next();
                bind.setTextContent(LOOPBACK + ":" + port);
                ports.put(jmxName.getTextContent().strip(), port);
            }
            var transformer = TransformerFactory.newInstance().newTransformer();
            transformer.setOutputProperty(OutputKeys.ENCODING, "UTF-8");
            transformer.transform(new DOMSource(document), new StreamResult(file.toFile()));
            return ports;
        } catch (IOException e) {
            throw e;
        } catch (Exception e) {
            throw new IOException("Failed to rewrite the bind addresses of " + file, e);
        }
    }

    private static Element firstChild(Element parent, String name) {
        NodeList children = parent.getElementsByTagName(name);
        return children.getLength() == 0 ? null : (Element) children.item(0);
    }

    /**
     * Sets {@code key=value} lines in a properties file. An existing line for the key is replaced,
     * a commented-out one ({@code #key=...}) is used when there is none, else the line is appended.
     */
    static void setProperties(Path file, Map<String, String> values) throws IOException {
        List<String> lines = new ArrayList<>(Files.readAllLines(file, StandardCharsets.UTF_8));
        for (Map.Entry<String, String> entry : values.entrySet()) {
            String line = entry.getKey() + "=" + escapeValue(entry.getValue());
            int index = indexOfKey(lines, entry.getKey(), false);
            if (index < 0) {
                index = indexOfKey(lines, entry.getKey(), true);
            }
            if (index < 0) {
                lines.add(line);
            } else {
                lines.set(index, line);
            }
        }
        Files.write(file, lines, StandardCharsets.UTF_8);
    }

    private static int indexOfKey(List<String> lines, String key, boolean commented) {
        Pattern pattern = Pattern.compile((commented ? "^\\s*#\\s*" : "^\\s*") + Pattern.quote(key) + "\\s*[=:]");
        for (int i = 0; i < lines.size(); i++) {
            Matcher matcher = pattern.matcher(lines.get(i));
            if (matcher.find()) {
                return i;
            }
        }
        return -1;
    }

    /** Escapes backslashes, which a properties reader would otherwise take as escape characters. */
    private static String escapeValue(String value) {
        return value.replace("\\", "\\\\");
    }

    private static void requireSystemPropertyName(String name) {
        if (name == null || !SYSTEM_PROPERTY_NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("Invalid system property name '" + name
                    + "': use letters, digits, dots, hyphens and underscores only");
        }
    }

    private static String randomSecret() {
        byte[] bytes = new byte[24];
        new SecureRandom().nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }
}
