import MAuthClient
import Testing

@Suite("URLs as clients send them")
struct SendableURLTests {
    @Test(
        "empty query pieces are dropped; the path, the other pieces and the fragment stay",
        arguments: [
            ("http://h/a?x=1&&y=2&", "http://h/a?x=1&y=2"),
            ("/a?&", "/a"),
            ("/a&&b?c=1#f&&g", "/a&&b?c=1#f&&g"),
            ("/a?c=1&&d#f", "/a?c=1&d#f"),
            ("/a", "/a"),
            // A combining mark after `?` joins it into one character; the split is by scalars.
            ("/a?\u{301}&&b=1", "/a?\u{301}&b=1"),
        ])
    func droppingEmptyPieces(url: String, sent: String) {
        #expect(SendableURL.droppingEmptyQueryPieces(url) == sent)
    }

    @Test("what AsyncHTTPClient sends: empty pieces dropped, then escaped")
    func asSentByAsyncHTTPClient() {
        #expect(SendableURL.asSentByAsyncHTTPClient("http://h/a b?x=1&&y=2") == "http://h/a%20b?x=1&y=2")
        #expect(SendableURL.asSentByAsyncHTTPClient("http://h/a%20b?x=1") == "http://h/a%20b?x=1")
    }
}
