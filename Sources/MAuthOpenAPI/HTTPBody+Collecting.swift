#if OpenAPISupport
    import OpenAPIRuntime

    extension HTTPBody {
        /// The whole body, or `nil` as soon as it is known to be over `limit` bytes; nothing past the
        /// limit is read.
        func collected(upTo limit: Int) async throws -> [UInt8]? {
            if case .known(let length) = length, length > limit { return nil }
            var bytes: [UInt8] = []
            for try await chunk in self {
                guard bytes.count + chunk.count <= limit else { return nil }
                bytes += chunk
            }
            return bytes
        }
    }
#endif
