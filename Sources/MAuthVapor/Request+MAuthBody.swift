#if VaporSupport
    public import BodySpool
    public import Vapor

    extension Request {
        /// The body ``MAuthVaporMiddleware`` authenticated, when its ``MAuthVaporMiddleware/RouteBody``
        /// is `.spooled`: read it with `chunks()` (an async sequence of `ByteBuffer`), at constant
        /// memory whatever its size. `nil` on routes the middleware did not authenticate.
        public internal(set) var mauthBody: SpooledBody? {
            get { storage[MAuthBodyKey.self] }
            set { storage[MAuthBodyKey.self] = newValue }
        }

        /// Makes `buffer` the collected body the route reads. Vapor sets a request's body publicly
        /// only through its content encoders, so a pass-through encoder hands it the bytes as they are.
        func replaceBody(with buffer: ByteBuffer) throws {
            var content = self.content
            try content.encode(AuthenticatedBytes(buffer: buffer), using: AuthenticatedBytes.Encoder())
        }
    }

    private enum MAuthBodyKey: StorageKey {
        typealias Value = SpooledBody
    }

    /// Bytes on their way into a request's body, unchanged.
    private struct AuthenticatedBytes: Encodable {
        let buffer: ByteBuffer

        func encode(to encoder: any Swift.Encoder) throws {
            var container = encoder.singleValueContainer()
            try container.encode(Array(buffer.readableBytesView))
        }

        /// Writes ``AuthenticatedBytes`` as the body, leaving the headers alone.
        struct Encoder: ContentEncoder {
            func encode<E: Encodable>(_ encodable: E, to body: inout ByteBuffer, headers: inout HTTPHeaders) throws {
                guard let bytes = encodable as? AuthenticatedBytes else {
                    throw Abort(.internalServerError, reason: "only authenticated bytes are written as they are")
                }
                body = bytes.buffer
            }
        }
    }
#endif
