import Testing

@testable import HTTPPipelineServer

@Suite("Response Date field")
struct ResponseDateTests {
    @Test("seconds since the epoch in the IMF-fixdate form, leap days and weekdays included")
    func format() {
        #expect(ResponseDate.format(secondsSinceEpoch: 0) == "Thu, 01 Jan 1970 00:00:00 GMT")
        #expect(ResponseDate.format(secondsSinceEpoch: 784_111_777) == "Sun, 06 Nov 1994 08:49:37 GMT")
        #expect(ResponseDate.format(secondsSinceEpoch: 951_825_600) == "Tue, 29 Feb 2000 12:00:00 GMT")
        #expect(ResponseDate.format(secondsSinceEpoch: 4_102_444_799) == "Thu, 31 Dec 2099 23:59:59 GMT")
    }

    @Test("the current value is today's, in that form")
    func current() {
        let value = ResponseDate().current()
        #expect(value.wholeMatch(of: #/[A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d GMT/#) != nil, "\(value)")
    }
}
