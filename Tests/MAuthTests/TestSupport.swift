import Foundation
import HTTPTypes
import MAuth
import MAuthTestSupport

extension String {
    /// The UTF-8 bytes of a string written with `\n` for LF.
    var bytes: [UInt8] { Array(utf8) }
}

extension Array where Element == UInt8 {
    var text: String { String(decoding: self, as: UTF8.self) }
}
