import Model

/// The decision log: every action Model emits, in the order it emits them, each with the model time of the event
/// that caused it, one line each, and the SHA-256 of those lines. Both backends record into it where they drain
/// Model's actions (`Simulation.perform`, `RealDriver.perform`), so two runs that made the same decisions at the
/// same model times have equal logs and equal digests, whatever carried the actions out. Nothing in a line comes
/// from a wall clock, a libvirt name or a guest: only Model's own identifiers and the model time.
///
/// A line is `<model seconds> <action> <field>=<value> ...`. Model seconds are printed as Swift prints a
/// `Double` (the shortest text that reads back to the same bits), identifiers as bare indices, and every enum
/// through a switch here, so a renamed case changes the log only when this file says so.
///
/// Not thread-safe: one run, one writer (the thread that drains Model's actions).
public final class DecisionLog {
    private let digest = TraceDigest()
    private let file: OutputFile?
    private var finalHex: String?
    /// Lines recorded so far.
    public private(set) var count = 0
    /// Also sees every action recorded, with its model time (`visag validate` measures VM preparations this way,
    /// from the same actions on both backends).
    public var observer: ((Action, Double) -> Void)?

    /// `file`: where the lines go (through the one output writer); nil keeps only the digest.
    public init(file: OutputFile? = nil) {
        self.file = file
    }

    /// Opens `path` for the log.
    public convenience init(path: String) throws(OutputError) {
        self.init(file: try OutputFile(path: path, options: OutputFile.Options(createFolders: true)))
    }

    /// Records one action Model emitted while handling an event at `modelSeconds`.
    public func record(_ action: Action, modelSeconds: Double) {
        precondition(finalHex == nil, "DecisionLog.record after digest()")
        observer?(action, modelSeconds)
        var line = DecisionLog.line(action, modelSeconds: modelSeconds)
        line.append("\n")
        digest.update(line)
        file?.write(line)
        count += 1
    }

    /// The SHA-256 of every line recorded, as hex. Ends the recording; later calls return the same value.
    public func digestHex() -> String {
        if let finalHex { return finalHex }
        let hex = digest.finalize()
        finalHex = hex
        return hex
    }

    /// Puts the file (if any) in place.
    public func commit() throws(OutputError) {
        try file?.commit()
    }

    /// Drops the file (if any) unwritten.
    public func discard() {
        file?.discard()
    }

    // MARK: The text form

    /// One action as its log line, without the newline.
    public static func line(_ action: Action, modelSeconds: Double) -> String {
        "\(modelSeconds) " + text(action)
    }

    static func text(_ action: Action) -> String {
        switch action {
        case .send(let message):
            return "send from=\(message.from.index) to=\(message.to.index) " + text(message.body)
        case .startTimer(let alarm, let afterSeconds):
            return "timer after=\(afterSeconds) " + text(alarm)
        case .hypervisor(let vm, let operation, let ticket):
            return "hypervisor vm=\(vm.index) op=\(text(operation)) ticket=\(ticket)"
        case .obtainAddress(let vm, let renewal, let ticket):
            return "address vm=\(vm.index) renewal=\(text(renewal)) ticket=\(ticket)"
        case .fetchVMKey(let vm, let ticket):
            return "fetchKey vm=\(vm.index) ticket=\(ticket)"
        case .writeKey(let vm, let write, let ticket):
            return "writeKey vm=\(vm.index) \(text(write)) ticket=\(ticket)"
        case .launchObject(let object, let app, let node, let vm, let address):
            return "launch object=\(object.index) app=\(app.index) node=\(node.index) vm=\(optional(vm?.index)) "
                + "address=\(optional(address?.raw))"
        case .killObject(let object, let node, let vm):
            return "kill object=\(object.index) node=\(node.index) vm=\(optional(vm?.index))"
        case .defineVM(let vm, let node, let ordinal):
            return "define vm=\(vm.index) node=\(node.index) ordinal=\(ordinal)"
        case .report(let report):
            return "report " + text(report)
        }
    }

    static func text(_ body: MessageBody) -> String {
        switch body {
        case .placeObjects(let app, let round):
            return "placeObjects app=\(app.index) round=\(round)"
        case .objectsPlaced(let app, let round):
            return "objectsPlaced app=\(app.index) round=\(round)"
        case .capacityReleased(let node, let jobs, let vms, let sequence):
            return "capacityReleased node=\(node.index) jobs=\(jobs) vms=\(vms) sequence=\(sequence)"
        case .vmAdded(let node, let sequence):
            return "vmAdded node=\(node.index) sequence=\(sequence)"
        case .discoveryRequest(let request, let app, let hopsLeft, let wayBack):
            return "discoveryRequest request=\(text(request)) app=\(app.index) hopsLeft=\(hopsLeft) wayBack=\(wayBack.tip)"
        case .discoveryReply(let request, let app, let responder, let wayBack):
            return "discoveryReply request=\(text(request)) app=\(app.index) responder=\(responder.index) "
                + "wayBack=\(wayBack.tip)"
        case .reserve(let app, let object, let request, let round, let carriesRequesterKey):
            return "reserve app=\(app.index) object=\(object.index) request=\(text(request)) round=\(round) "
                + "requesterKey=\(carriesRequesterKey)"
        case .reserveAnswered(let app, let object, let accepted):
            return "reserveAnswered app=\(app.index) object=\(object.index) accepted=\(accepted)"
        case .execute(let app, let object):
            return "execute app=\(app.index) object=\(object.index)"
        case .objectStarted(let app, let object, let vmWasReady):
            return "objectStarted app=\(app.index) object=\(object.index) vmWasReady=\(vmWasReady)"
        case .objectFailed(let app, let object, let reason):
            return "objectFailed app=\(app.index) object=\(object.index) reason=\(reason.rawValue)"
        case .objectCompleted(let app, let object):
            return "objectCompleted app=\(app.index) object=\(object.index)"
        case .cancelObject(let app, let object, let booking):
            return "cancelObject app=\(app.index) object=\(object.index) booking=\(booking)"
        case .applicationEnded(let app, let request, let explored):
            return "applicationEnded app=\(app.index) request=\(request.map(text) ?? "-") explored=\(explored.tip)"
        case .routeVMKey(let app, let vm):
            return "routeVMKey app=\(app.index) vm=\(vm.index)"
        }
    }

    static func text(_ alarm: Alarm) -> String {
        switch alarm {
        case .discoveryWait(let app, let round): "discoveryWait app=\(app.index) round=\(round)"
        case .reservationExpiry(let object, let generation): "reservationExpiry object=\(object.index) generation=\(generation)"
        case .execTimeout(let object, let generation): "execTimeout object=\(object.index) generation=\(generation)"
        case .roundTimeout(let app, let round): "roundTimeout app=\(app.index) round=\(round)"
        case .errorPauseOver(let app): "errorPauseOver app=\(app.index)"
        case .idleTimeout(let vm, let generation): "idleTimeout vm=\(vm.index) generation=\(generation)"
        case .recycleRetry(let vm, let ticket): "recycleRetry vm=\(vm.index) ticket=\(ticket)"
        case .addressWaitOver(let vm, let ticket): "addressWaitOver vm=\(vm.index) ticket=\(ticket)"
        }
    }

    static func text(_ operation: HypervisorOperation) -> String {
        switch operation {
        case .revert: "revert"
        case .suspend: "suspend"
        case .shutdown: "shutdown"
        case .boot: "boot"
        case .resume: "resume"
        case .clone(let target): "clone:\(target.index)"
        }
    }

    static func text(_ renewal: DHCPRenewal) -> String {
        switch renewal {
        case .none: "none"
        case .renew: "renew"
        case .reversePing: "reverse-ping"
        }
    }

    static func text(_ write: KeyWrite) -> String {
        let kind: String
        switch write.kind {
        case .requester(let object): kind = "requester:\(object.index)"
        case .mainNode(let app): kind = "mainNode:\(app.index)"
        case .admin(let node): kind = "admin:\(node.index)"
        case .worker(let vm): kind = "worker:\(vm.index)"
        case .node(let node): kind = "node:\(node.index)"
        }
        return "key=\(kind) app=\(optional(write.app?.index)) installs=\(write.installs)"
    }

    static func text(_ request: RequestID) -> String { "\(request.origin.index).\(request.counter)" }

    static func text(_ report: Report) -> String {
        switch report {
        case .applicationFinished(let app, let succeeded, let reason):
            return "applicationFinished app=\(app.index) succeeded=\(succeeded) reason=\(reason?.rawValue ?? "-")"
        case .objectRunning(let object, let app, let vmWasReady):
            return "objectRunning object=\(object.index) app=\(app.index) vmWasReady=\(vmWasReady)"
        case .vmReserved(let vm, let app):
            return "vmReserved vm=\(vm.index) app=\(app.index)"
        case .vmFreed(let vm):
            return "vmFreed vm=\(vm.index)"
        case .cloneStarted(let source, let target):
            return "cloneStarted source=\(source.index) target=\(target.index)"
        case .cloneFinished(let target, let succeeded):
            return "cloneFinished target=\(target.index) succeeded=\(succeeded)"
        case .keyDropped(let vm, let write):
            return "keyDropped vm=\(vm.index) \(text(write))"
        case .applicationQueued(let app):
            return "applicationQueued app=\(app.index)"
        case .reservationExpired(let object):
            return "reservationExpired object=\(object.index)"
        case .nodeLoad(let node, let jobs):
            return "nodeLoad node=\(node.index) jobs=\(jobs)"
        case .discoveryMessage(let node):
            return "discoveryMessage node=\(node.index)"
        case .neighbourRemoved(let node, let neighbour):
            return "neighbourRemoved node=\(node.index) neighbour=\(neighbour.index)"
        case .brokerOvercounted(let node):
            return "brokerOvercounted node=\(node.index)"
        case .vmKeyAccepted(let vm, let app, let host):
            let where_: String
            switch host {
            case .adminVM(let node): where_ = "adminVM:\(node.index)"
            case .userMachine(let node): where_ = "userMachine:\(node.index)"
            }
            return "vmKeyAccepted vm=\(vm.index) app=\(app.index) host=\(where_)"
        }
    }

    static func optional<T: BinaryInteger>(_ value: T?) -> String {
        value.map { "\($0)" } ?? "-"
    }
}
