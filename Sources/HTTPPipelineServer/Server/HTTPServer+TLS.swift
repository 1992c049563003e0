import Foundation
import HTTPPipeline
import HTTPTypes
import Logging
import NIOCore
import NIOExtras
import NIOHTTP1
import NIOHTTP2
import NIOHTTPTypes
import NIOHTTPTypesHTTP1
import NIOHTTPTypesHTTP2
import NIOPosix
import NIOSSL
import NIOTLS

extension HTTPServer {
    static func sslContext(_ tls: HTTPServerConfiguration.TLS) throws(HTTPServerError) -> NIOSSLContext {
        func unreadable(_ what: String, _ path: String, _ error: any Error) -> HTTPServerError {
            let reason =
                FileManager.default.isReadableFile(atPath: path)
                ? "it is not PEM text of the right kind (\(error))" : "it does not exist or cannot be read"
            return HTTPServerError(.invalidTLSConfiguration, "cannot load the TLS \(what) '\(path)': \(reason)")
        }
        let chain: [NIOSSLCertificateSource]
        do {
            chain = try NIOSSLCertificate.fromPEMFile(tls.certificateChainFile).map { .certificate($0) }
        } catch {
            throw unreadable("certificate chain", tls.certificateChainFile, error)
        }
        guard !chain.isEmpty else {
            throw HTTPServerError(
                .invalidTLSConfiguration,
                "cannot load the TLS certificate chain '\(tls.certificateChainFile)': it holds no certificate")
        }
        let key: NIOSSLPrivateKey
        do {
            key = try NIOSSLPrivateKey(file: tls.privateKeyFile, format: .pem)
        } catch {
            throw unreadable("private key", tls.privateKeyFile, error)
        }
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain, privateKey: .privateKey(key))
        configuration.applicationProtocols = ["h2", "http/1.1"]
        do {
            return try NIOSSLContext(configuration: configuration)
        } catch {
            throw HTTPServerError(
                .invalidTLSConfiguration,
                "the TLS certificate chain '\(tls.certificateChainFile)' and private key '\(tls.privateKeyFile)' "
                    + "cannot be used together (\(error))")
        }
    }
}
