import Model

/// How long each VM preparation took, read from Model's actions alone, so the simulator and the real backend are
/// measured by the same rule (`visag validate` feeds it both backends' actions through `DecisionLog.observer`).
///
/// A preparation starts with the first revert, boot, resume or address read Model asks for on a VM after
/// reserving it for an application (Prepare VM's first step) and ends when Model launches an object in that VM:
/// the wake-up, the address, the VM's own key and the key writes, as the application waits for them. A VM already
/// prepared for its application launches at once and counts nothing. A start that never reaches a launch (a failed
/// preparation, the recycle of an application's end) is dropped when the VM is freed or reserved again.
public struct PreparationTimes: Sendable {
    /// Model seconds of each preparation that reached a launch, in the order they ended.
    public private(set) var seconds: [Double] = []
    /// Per VM index: reserved for an application and not yet preparing.
    private var reserved: Set<Int32> = []
    /// Per VM index: when its preparation started.
    private var started: [Int32: Double] = [:]

    public init() {}

    public mutating func observe(_ action: Action, modelSeconds: Double) {
        switch action {
        case .report(.vmReserved(let vm, _)):
            started[vm.index] = nil
            reserved.insert(vm.index)
        case .report(.vmFreed(let vm)):
            started[vm.index] = nil
            reserved.remove(vm.index)
        case .hypervisor(let vm, let operation, _):
            switch operation {
            case .revert, .boot, .resume: begin(vm, at: modelSeconds)
            case .suspend, .shutdown, .clone: break
            }
        case .obtainAddress(let vm, _, _):
            begin(vm, at: modelSeconds)
        case .launchObject(_, _, _, let vm?, _):
            if let start = started.removeValue(forKey: vm.index) { seconds.append(modelSeconds - start) }
        case .send, .startTimer, .fetchVMKey, .writeKey, .launchObject, .killObject, .defineVM, .report:
            break
        }
    }

    private mutating func begin(_ vm: VMID, at modelSeconds: Double) {
        guard reserved.remove(vm.index) != nil else { return }
        started[vm.index] = modelSeconds
    }
}
