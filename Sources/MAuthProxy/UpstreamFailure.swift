import AsyncHTTPClient
import NIOCore
import NIOHTTP1
import NIOPosix

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Why an upstream gave no usable answer, in words that finish the sentence "UPSTREAM …".
enum UpstreamFailure {
    static func reason(_ error: any Error) -> String {
        let ioError = (error as? IOError) ?? ((error as? NIOConnectionError)?.connectionErrors.first?.error as? IOError)
        if ioError?.errnoCode == ECONNREFUSED {
            return "refused the connection"
        }
        if error is NIOConnectionError {
            return "cannot be reached (\(error))"
        }
        if error is HTTPParserError {
            return "answered with something that is not HTTP (\(error))"
        }
        if let error = error as? HTTPClientError, error == .remoteConnectionClosed {
            return "closed the connection without an answer"
        }
        let description = String(describing: error)
        if description.contains("CERTIFICATE_VERIFY_FAILED") {
            return "has a TLS certificate that is not trusted"
        }
        return "failed to answer (\(description))"
    }
}
