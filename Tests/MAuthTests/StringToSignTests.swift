import Foundation
import HTTPTypes
import MAuthTestSupport
import Testing

@testable import MAuth

@Suite("String to sign (PROTOCOL.md §3)")
struct StringToSignTests {
    let app = "2d5f1a3e-8c47-4b1d-9f0a-6e2b7c9d4f10"
    let emptyDigest =
        "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e"

    @Test("V1 request embeds the raw body and ignores the query")
    func v1Request() {
        let bytes = MAuthStringToSign.request(
            version: .v1, method: "POST", target: MAuthRequestTarget("/v1/items?z=1"), body: #"{"a":1}"#.bytes,
            appUUID: app, time: "1700000000"
        )
        #expect(bytes.text == "POST\n/v1/items\n{\"a\":1}\n\(app)\n1700000000")
    }

    @Test("V1 request without a body has two consecutive LFs")
    func v1NoBody() {
        let bytes = MAuthStringToSign.request(
            version: .v1, method: "GET", target: MAuthRequestTarget("/"), body: [], appUUID: app, time: "1700000000"
        )
        #expect(bytes.text == "GET\n/\n\n\(app)\n1700000000")
    }

    @Test("V1 path is never normalized")
    func v1PathVerbatim() {
        let bytes = MAuthStringToSign.request(
            version: .v1, method: "GET", target: MAuthRequestTarget("//a/./b/%e2"), body: [], appUUID: app, time: "1"
        )
        #expect(bytes.text == "GET\n//a/./b/%e2\n\n\(app)\n1")
    }

    @Test("V2 request with body and query")
    func v2Request() {
        let bytes = MAuthStringToSign.request(
            version: .v2, method: "POST", target: MAuthRequestTarget("/v1/items?z=1&a=b+c&a=%41"),
            body: #"{"a":1}"#.bytes, appUUID: app, time: "1700000000"
        )
        let digest =
            "efb7a8298f905ae743dbe2152e162415f62a16d2d5ac5c78816dcd57114e7a574729b813988f1d0984cf6f38c4fcc9a37ea9fec3da351983536f72785d7ab707"
        #expect(bytes.text == "POST\n/v1/items\n\(digest)\n\(app)\n1700000000\na=A&a=b%20c&z=1")
    }

    @Test("V2 request without a query ends with the LF of the empty query field")
    func v2NoQuery() {
        let bytes = MAuthStringToSign.request(
            version: .v2, method: "GET", target: MAuthRequestTarget("/v1/items/"), body: [], appUUID: app,
            time: "1700000000"
        )
        #expect(bytes.text == "GET\n/v1/items/\n\(emptyDigest)\n\(app)\n1700000000\n")
    }

    @Test("responses put the status in place of the path")
    func responses() {
        let body = #"{"id":7}"#.bytes
        let v1 = MAuthStringToSign.response(version: .v1, status: 201, body: body, appUUID: app, time: "1700000000")
        let v2 = MAuthStringToSign.response(version: .v2, status: 201, body: body, appUUID: app, time: "1700000000")
        let digest =
            "2b61869f8fdbaa6fde77db711d2d73d8bf8bb54bd9fa091993c323fc771bbf712d9c48d4b04d901fa3a5b3a76110ec188c23c686bcdb08df0815aa237ef087f3"
        #expect(v1.text == "201\n{\"id\":7}\n\(app)\n1700000000")
        #expect(v2.text == "201\n\(digest)\n\(app)\n1700000000")
    }

    @Test("V1 embeds binary bodies byte for byte")
    func binaryBody() {
        let body: [UInt8] = [0, 0xFF, 0x0A, 0x80]
        let bytes = MAuthStringToSign.request(
            version: .v1, method: "PUT", target: MAuthRequestTarget("/b"), body: body, appUUID: "u", time: "1"
        )
        #expect(bytes == "PUT\n/b\n".bytes + body + "\nu\n1".bytes)
    }
}
