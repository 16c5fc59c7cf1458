"""The APKs the mobile tests build (tests/mobile/apkbuild.py): a hardened app, a weak one, one without any
privacy policy, and one packed (加固) by a known packer's stub."""

from __future__ import annotations

from tests.mobile.apkbuild import Spec

_INIT = """
.method public constructor <init>()V
    .registers 1
    invoke-direct {p0}, %s-><init>()V
    return-void
.end method
"""


def _class(name: str, body: str, super_: str = "Ljava/lang/Object;", implements: str = "") -> str:
    impl = f".implements {implements}\n" if implements else ""
    return f".class public L{name};\n.super {super_}\n{impl}" + _INIT % super_ + body


_CHECK = "([Ljava/security/cert/X509Certificate;Ljava/lang/String;)V"

WEAK_SECRET = "LTAI5tQ9xYzAbCdEfGh1JkLm"  # the shape of an Alibaba Cloud AccessKey ID (not a real one)

WEAK_MAIN = """
.method public crypto()V
    .registers 4
    const-string v0, "AES/ECB/PKCS5Padding"
    invoke-static {v0}, Ljavax/crypto/Cipher;->getInstance(Ljava/lang/String;)Ljavax/crypto/Cipher;
    const-string v0, "DES"
    invoke-static {v0}, Ljavax/crypto/Cipher;->getInstance(Ljava/lang/String;)Ljavax/crypto/Cipher;
    const-string v0, "MD5"
    invoke-static {v0}, Ljava/security/MessageDigest;->getInstance(Ljava/lang/String;)Ljava/security/MessageDigest;
    new-instance v1, Ljavax/crypto/spec/IvParameterSpec;
    const-string v2, "0102030405060708"
    invoke-virtual {v2}, Ljava/lang/String;->getBytes()[B
    move-result-object v2
    invoke-direct {v1, v2}, Ljavax/crypto/spec/IvParameterSpec;-><init>([B)V
    return-void
.end method

.method public login()Ljava/lang/String;
    .registers 2
    const-string v0, "http://api.example-mobility.cn/v1/login"
    return-object v0
.end method

.method public web(Landroid/webkit/WebView;)V
    .registers 4
    invoke-virtual {p1}, Landroid/webkit/WebView;->getSettings()Landroid/webkit/WebSettings;
    move-result-object v0
    const/4 v1, 0x1
    invoke-virtual {v0, v1}, Landroid/webkit/WebSettings;->setJavaScriptEnabled(Z)V
    invoke-virtual {v0, v1}, Landroid/webkit/WebSettings;->setAllowUniversalAccessFromFileURLs(Z)V
    new-instance v0, Lcom/example/weak/Bridge;
    invoke-direct {v0}, Lcom/example/weak/Bridge;-><init>()V
    const-string v1, "bridge"
    invoke-virtual {p1, v0, v1}, Landroid/webkit/WebView;->addJavascriptInterface(Ljava/lang/Object;Ljava/lang/String;)V
    return-void
.end method

.field public static final ACCESS_KEY_ID:Ljava/lang/String; = "WEAK_SECRET"
""".replace("WEAK_SECRET", WEAK_SECRET)

WEAK_SMALI = {
    "com/example/weak/MainActivity": _class("com/example/weak/MainActivity", WEAK_MAIN, "Landroid/app/Activity;"),
    "com/example/weak/DeepLinkActivity": _class("com/example/weak/DeepLinkActivity", "", "Landroid/app/Activity;"),
    "com/example/weak/DataProvider": _class("com/example/weak/DataProvider", "", "Landroid/content/ContentProvider;"),
    "com/example/weak/Bridge": _class("com/example/weak/Bridge", ""),
    "com/example/weak/net/TrustAll": _class("com/example/weak/net/TrustAll", f"""
.method public checkClientTrusted{_CHECK}
    .registers 3
    return-void
.end method

.method public checkServerTrusted{_CHECK}
    .registers 3
    return-void
.end method

.method public getAcceptedIssuers()[Ljava/security/cert/X509Certificate;
    .registers 2
    const/4 v0, 0x0
    new-array v0, v0, [Ljava/security/cert/X509Certificate;
    return-object v0
.end method
""", implements="Ljavax/net/ssl/X509TrustManager;"),
    "com/example/weak/net/AllowAll": _class("com/example/weak/net/AllowAll", """
.method public verify(Ljava/lang/String;Ljavax/net/ssl/SSLSession;)Z
    .registers 4
    const/4 v0, 0x1
    return v0
.end method
""", implements="Ljavax/net/ssl/HostnameVerifier;"),
    "com/example/weak/net/LaxClient": _class("com/example/weak/net/LaxClient", """
.method public onReceivedSslError(Landroid/webkit/WebView;Landroid/webkit/SslErrorHandler;Landroid/net/http/SslError;)V
    .registers 4
    invoke-virtual {p2}, Landroid/webkit/SslErrorHandler;->proceed()V
    return-void
.end method
""", "Landroid/webkit/WebViewClient;"),
    "com/umeng/analytics/MobclickAgent": _class("com/umeng/analytics/MobclickAgent", ""),
    "cn/jpush/android/api/JPushInterface": _class("cn/jpush/android/api/JPushInterface", ""),
}

HARDENED_MAIN = """
.method public crypto()V
    .registers 2
    const-string v0, "AES/GCM/NoPadding"
    invoke-static {v0}, Ljavax/crypto/Cipher;->getInstance(Ljava/lang/String;)Ljavax/crypto/Cipher;
    const-string v0, "SHA-256"
    invoke-static {v0}, Ljava/security/MessageDigest;->getInstance(Ljava/lang/String;)Ljava/security/MessageDigest;
    return-void
.end method

.method public api()Ljava/lang/String;
    .registers 2
    const-string v0, "https://api.example-mobility.cn/v1/login"
    return-object v0
.end method
"""

HARDENED_SMALI = {
    "com/example/safe/MainActivity": _class("com/example/safe/MainActivity", HARDENED_MAIN, "Landroid/app/Activity;"),
    "com/example/safe/TripProvider": _class("com/example/safe/TripProvider", "", "Landroid/content/ContentProvider;"),
    "com/example/safe/net/StrictVerifier": _class("com/example/safe/net/StrictVerifier", """
.method public verify(Ljava/lang/String;Ljavax/net/ssl/SSLSession;)Z
    .registers 4
    invoke-static {}, Ljavax/net/ssl/HttpsURLConnection;->getDefaultHostnameVerifier()Ljavax/net/ssl/HostnameVerifier;
    move-result-object v0
    invoke-interface {v0, p1, p2}, Ljavax/net/ssl/HostnameVerifier;->verify(Ljava/lang/String;Ljavax/net/ssl/SSLSession;)Z
    move-result v0
    return v0
.end method
""", implements="Ljavax/net/ssl/HostnameVerifier;"),
    "com/example/safe/net/DelegatingTrust": _class("com/example/safe/net/DelegatingTrust", f"""
.field private final inner:Ljavax/net/ssl/X509TrustManager;

.method public checkClientTrusted{_CHECK}
    .registers 4
    iget-object v0, p0, Lcom/example/safe/net/DelegatingTrust;->inner:Ljavax/net/ssl/X509TrustManager;
    invoke-interface {{v0, p1, p2}}, Ljavax/net/ssl/X509TrustManager;->checkClientTrusted{_CHECK}
    return-void
.end method

.method public checkServerTrusted{_CHECK}
    .registers 4
    iget-object v0, p0, Lcom/example/safe/net/DelegatingTrust;->inner:Ljavax/net/ssl/X509TrustManager;
    invoke-interface {{v0, p1, p2}}, Ljavax/net/ssl/X509TrustManager;->checkServerTrusted{_CHECK}
    return-void
.end method

.method public getAcceptedIssuers()[Ljava/security/cert/X509Certificate;
    .registers 2
    const/4 v0, 0x0
    new-array v0, v0, [Ljava/security/cert/X509Certificate;
    return-object v0
.end method
""", implements="Ljavax/net/ssl/X509TrustManager;"),
    "com/amap/api/location/AMapLocationClient": _class("com/amap/api/location/AMapLocationClient", ""),
}

_LAUNCHER = """<intent-filter><action android:name="android.intent.action.MAIN"/>
        <category android:name="android.intent.category.LAUNCHER"/></intent-filter>"""

POLICY_HTML = ("<html><body><h1>隐私政策</h1><p>我们接入的第三方SDK：高德地图定位SDK（高德软件有限公司），"
               "收集位置信息用于叫车。</p></body></html>").encode()


def hardened() -> Spec:
    return Spec(
        package="com.example.safe",
        manifest_application='android:allowBackup="false" android:usesCleartextTraffic="false" '
                             'android:networkSecurityConfig="@xml/network_security_config"',
        components=f"""
    <activity android:name=".MainActivity" android:exported="true">{_LAUNCHER}</activity>
    <provider android:name=".TripProvider" android:authorities="com.example.safe.trips" android:exported="true"
        android:permission="com.example.safe.permission.TRIPS"/>""",
        permissions=["android.permission.INTERNET", "android.permission.ACCESS_FINE_LOCATION"],
        smali=HARDENED_SMALI,
        nsc="""<?xml version="1.0" encoding="utf-8"?>
<network-security-config>
  <base-config cleartextTrafficPermitted="false">
    <trust-anchors><certificates src="system"/></trust-anchors>
  </base-config>
  <domain-config>
    <domain includeSubdomains="true">api.example-mobility.cn</domain>
    <pin-set expiration="2030-01-01">
      <pin digest="SHA-256">7HIpactkIAq2Y49orFOOQKurWxmmSFZhBCoQYcRhJ3Y=</pin>
      <pin digest="SHA-256">fwza0LRMXouZHRC8Ei+4PyuldPDcf3UKgO/04cDM1oE=</pin>
    </pin-set>
  </domain-config>
</network-security-config>
""",
        strings={"privacy_url": "https://www.example-mobility.cn/privacy.html",
                 "consent": "请阅读并同意《隐私政策》后使用"},
        assets={"privacy.html": POLICY_HTML},
        signing="v2v3", key_bits=3072)


def weak() -> Spec:
    return Spec(
        package="com.example.weak",
        manifest_application='android:debuggable="true" android:allowBackup="true" '
                             'android:usesCleartextTraffic="true" '
                             'android:networkSecurityConfig="@xml/network_security_config"',
        components=f"""
    <activity android:name=".MainActivity" android:exported="true">{_LAUNCHER}</activity>
    <activity android:name=".DeepLinkActivity" android:exported="true"/>
    <provider android:name=".DataProvider" android:authorities="com.example.weak.data" android:exported="true"/>""",
        permissions=["android.permission.INTERNET", "android.permission.ACCESS_FINE_LOCATION",
                     "android.permission.READ_CONTACTS", "android.permission.READ_SMS",
                     "android.permission.READ_PHONE_STATE"],
        smali=WEAK_SMALI, min_sdk=16, target_sdk=22,
        nsc="""<?xml version="1.0" encoding="utf-8"?>
<network-security-config>
  <base-config cleartextTrafficPermitted="true">
    <trust-anchors><certificates src="system"/><certificates src="user"/></trust-anchors>
  </base-config>
</network-security-config>
""",
        strings={"privacy_url": "https://www.example-mobility.cn/privacy.html",
                 "app_secret": "q8ZpT3vK9xWm2LsR7nBdY4"},
        assets={"privacy.html": POLICY_HTML},
        signing="v1", key_bits=1024, dname="CN=Android Debug, O=Android, C=US")


def no_policy() -> Spec:
    """The hardened app without any privacy-policy link, text or consent wording."""
    spec = hardened()
    spec.package = "com.example.nopolicy"
    spec.strings, spec.assets = {}, {}
    return spec


def packed() -> Spec:
    """A 360 加固-style shell: the real code is encrypted; only the stub application and libjiagu are visible."""
    stub = _class("com/stub/StubApp", "", "Landroid/app/Application;")
    return Spec(package="com.example.packed", manifest_application='android:name="com.stub.StubApp" '
                'android:allowBackup="false"',
                components="", permissions=["android.permission.INTERNET"], smali={"com/stub/StubApp": stub},
                assets={"libjiagu.so": b"\x7fELF" + bytes(64)}, libs={"armeabi-v7a/libjiagu.so": b"\x7fELF" + bytes(64)},
                signing="v2v3", key_bits=2048)
