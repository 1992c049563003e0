/// A request body read by two tasks at once, or after its handler returned.
struct BodyMisuse: Error, CustomStringConvertible {
    var description: String {
        "the request body was read concurrently or after the handler returned; read it once, within the handler"
    }
}
