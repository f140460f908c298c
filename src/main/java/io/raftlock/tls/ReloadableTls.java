package io.raftlock.tls;

import io.vertx.core.http.ClientAuth;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.KeyCertOptions;
import io.vertx.core.net.TrustOptions;
import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * One endpoint's TLS identity and trust, swappable at run time. Vert.x is handed key and trust
 * managers that delegate to the current material, and every new handshake asks them again, so
 * {@link #update} takes effect for new connections at once, for servers and clients alike,
 * without rebuilding a server or a client (established connections keep their session).
 *
 * <p>Thread-safety: the delegates are volatile; handshakes run on event loops, updates come
 * from the reloader's context.
 */
public final class ReloadableTls {
  private final KeyDelegate keys = new KeyDelegate();
  private final TrustDelegate trust = new TrustDelegate();
  private volatile PemMaterial current;

  public ReloadableTls(PemMaterial initial) {
    update(initial);
  }

  public PemMaterial current() {
    return current;
  }

  /** Installs new material; the next handshake uses it. */
  public void update(PemMaterial material) {
    keys.delegate = keyManager(material);
    trust.delegate = material.caPem() == null ? null : trustManager(material.caPem());
    current = material;
  }

  /** A server presenting this identity; {@code requireClientCert} asks clients for theirs. */
  public HttpServerOptions applyTo(HttpServerOptions options, boolean requireClientCert) {
    options.setSsl(true).setUseAlpn(true).setKeyCertOptions(keyCertOptions());
    if (requireClientCert) {
      options.setClientAuth(ClientAuth.REQUIRED).setTrustOptions(trustOptions());
    }
    return options;
  }

  /**
   * A client presenting this identity and trusting this CA. Host names are not checked: member
   * identity is the node id in the certificate, checked by the caller ({@link MemberNames}).
   */
  public HttpClientOptions applyToMemberClient(HttpClientOptions options) {
    return options.setSsl(true).setUseAlpn(true).setVerifyHost(false)
        .setKeyCertOptions(keyCertOptions()).setTrustOptions(trustOptions());
  }

  /** The swappable key manager itself (a JDK TLS client or server can use it directly). */
  X509ExtendedKeyManager keyManager() {
    return keys;
  }

  /** The swappable trust manager itself; null-delegating when no CA is configured. */
  X509ExtendedTrustManager trustManager() {
    return trust;
  }

  public KeyCertOptions keyCertOptions() {
    return KeyCertOptions.wrap(keys);
  }

  public TrustOptions trustOptions() {
    if (trust.delegate == null) {
      throw new IllegalStateException("no CA configured for " + current.leaf().getSubjectX500Principal());
    }
    return TrustOptions.wrap(trust);
  }

  private static final char[] NO_PASSWORD = new char[0];

  private static X509ExtendedKeyManager keyManager(PemMaterial m) {
    try {
      List<X509Certificate> chain = PemMaterial.certificates("certFile", m.certPem());
      PrivateKey key = KeyFactory.getInstance(m.leaf().getPublicKey().getAlgorithm())
          .generatePrivate(PemMaterial.pkcs8(m.keyPem()));
      KeyStore store = KeyStore.getInstance("PKCS12");
      store.load(null, null);
      store.setKeyEntry("identity", key, NO_PASSWORD, chain.toArray(new X509Certificate[0]));
      KeyManagerFactory factory = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      factory.init(store, NO_PASSWORD);
      return (X509ExtendedKeyManager) factory.getKeyManagers()[0];
    } catch (GeneralSecurityException | java.io.IOException e) {
      throw new IllegalStateException("checked TLS material did not load: " + e, e);
    }
  }

  static X509ExtendedTrustManager trustManager(byte[] caPem) {
    try {
      KeyStore store = KeyStore.getInstance("PKCS12");
      store.load(null, null);
      int i = 0;
      for (X509Certificate ca : PemMaterial.certificates("caFile", caPem)) {
        store.setCertificateEntry("ca-" + i++, ca);
      }
      TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      factory.init(store);
      return (X509ExtendedTrustManager) factory.getTrustManagers()[0];
    } catch (GeneralSecurityException | java.io.IOException e) {
      throw new IllegalStateException("checked CA bundle did not load: " + e, e);
    }
  }

  /** Reads the CA bundle of {@code pem} into a trust manager (for clients given only a CA). */
  public static TrustOptions trustOnly(byte[] caPem) {
    PemMaterial.certificates("ca", caPem);
    TrustDelegate t = new TrustDelegate();
    t.delegate = trustManager(caPem);
    return TrustOptions.wrap(t);
  }

  private static final class KeyDelegate extends X509ExtendedKeyManager {
    volatile X509ExtendedKeyManager delegate;

    @Override
    public String[] getClientAliases(String keyType, Principal[] issuers) {
      return delegate.getClientAliases(keyType, issuers);
    }

    @Override
    public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
      return delegate.chooseClientAlias(keyType, issuers, socket);
    }

    @Override
    public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine engine) {
      return delegate.chooseEngineClientAlias(keyType, issuers, engine);
    }

    @Override
    public String[] getServerAliases(String keyType, Principal[] issuers) {
      return delegate.getServerAliases(keyType, issuers);
    }

    @Override
    public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
      return delegate.chooseServerAlias(keyType, issuers, socket);
    }

    @Override
    public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
      return delegate.chooseEngineServerAlias(keyType, issuers, engine);
    }

    @Override
    public X509Certificate[] getCertificateChain(String alias) {
      return delegate.getCertificateChain(alias);
    }

    @Override
    public PrivateKey getPrivateKey(String alias) {
      return delegate.getPrivateKey(alias);
    }
  }

  private static final class TrustDelegate extends X509ExtendedTrustManager {
    volatile X509ExtendedTrustManager delegate;

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
        throws CertificateException {
      delegate.checkClientTrusted(chain, authType, socket);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
        throws CertificateException {
      delegate.checkServerTrusted(chain, authType, socket);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
        throws CertificateException {
      delegate.checkClientTrusted(chain, authType, engine);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
        throws CertificateException {
      delegate.checkServerTrusted(chain, authType, engine);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
      delegate.checkClientTrusted(chain, authType);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
      delegate.checkServerTrusted(chain, authType);
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return delegate.getAcceptedIssuers();
    }
  }
}
