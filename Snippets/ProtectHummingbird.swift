// A Hummingbird 2 router behind MAuth (trait HummingbirdSupport).
// snippet.hide
#if HummingbirdSupport
    import Hummingbird
    import MAuth
    import MAuthHummingbird

    let authenticator = MAuthAuthenticator(keyProvider: DirectoryPublicKeyProvider(directory: "keys"))
    // snippet.show
    let router = Router(context: BasicMAuthRequestContext.self)
    router.get("/app_status") { _, _ in "OK" }  // added before the middleware: not authenticated
    router.add(middleware: MAuthHummingbirdMiddleware(authenticator: authenticator))
    router.get("/") { _, context in try context.requireMAuthIdentity().appUUID }
    router.post("/echo") { request, _ in Response(status: .ok, body: .init(asyncSequence: request.body)) }
    // snippet.hide
    _ = Application(router: router)
#endif
