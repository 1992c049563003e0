import Foundation
import NIOCore

/// The body `mauth request` sends: bytes given on the command line, or a file read in pieces each
/// time it is needed (to sign it, then to send it), so that a file of any size costs a piece's
/// memory.
enum OutgoingBody: Sendable {
    case bytes([UInt8])
    case file(path: String, size: Int)

    /// How much of a file is read at once.
    static let pieceSize = 1 << 20

    /// The body of `@FILE` or of the text itself.
    ///
    /// - Throws: ``CommandFailure`` (usage) when the file cannot be read.
    init(argument: String) throws {
        guard argument.hasPrefix("@") else {
            self = .bytes(Array(argument.utf8))
            return
        }
        let path = String(argument.dropFirst())
        guard FileManager.default.isReadableFile(atPath: path),
            let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int
        else {
            throw CommandFailure.usage("cannot read the body file '\(path)'")
        }
        self = .file(path: path, size: size)
    }

    /// How many bytes the body has.
    var byteCount: Int {
        switch self {
        case .bytes(let bytes): bytes.count
        case .file(_, let size): size
        }
    }

    /// The body's bytes in order, a piece at a time.
    var pieces: Pieces { Pieces(body: self) }

    /// The whole body, when it is at most `limit` bytes.
    func bytes(upTo limit: Int) throws -> [UInt8]? {
        switch self {
        case .bytes(let bytes):
            return bytes
        case .file(let path, let size):
            guard size <= limit else { return nil }
            return try Terminal.readFile(path, purpose: "body file")
        }
    }

    /// Reads a body from its start.
    struct Pieces: AsyncSequence, Sendable {
        typealias Element = ByteBuffer
        let body: OutgoingBody

        func makeAsyncIterator() -> Iterator {
            Iterator(body: body)
        }

        struct Iterator: AsyncIteratorProtocol {
            let body: OutgoingBody
            var handle: FileHandle?
            var done = false

            init(body: OutgoingBody) {
                self.body = body
            }

            /// The next piece, or `nil` at the end.
            ///
            /// - Throws: ``CommandFailure`` when the file cannot be read, or changed size while it
            ///   was sent.
            mutating func next() async throws -> ByteBuffer? {
                guard !done else { return nil }
                switch body {
                case .bytes(let bytes):
                    done = true
                    return bytes.isEmpty ? nil : ByteBuffer(bytes: bytes)
                case .file(let path, _):
                    if handle == nil {
                        guard let opened = FileHandle(forReadingAtPath: path) else {
                            throw CommandFailure("cannot read the body file '\(path)'")
                        }
                        handle = opened
                    }
                    let data: Data?
                    do {
                        data = try handle?.read(upToCount: OutgoingBody.pieceSize)
                    } catch {
                        throw CommandFailure("cannot read the body file '\(path)': \(error.localizedDescription)")
                    }
                    guard let data, !data.isEmpty else {
                        done = true
                        try? handle?.close()
                        return nil
                    }
                    return ByteBuffer(bytes: data)
                }
            }
        }
    }
}
