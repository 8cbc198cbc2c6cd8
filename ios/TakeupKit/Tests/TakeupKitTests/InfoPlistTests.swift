// The app's Info.plist (ios/TakeupApp/Support/Info.plist) agrees with TakeupKit: the background
// mode and task identifier BGTaskScheduler needs, and the keys EngineSettings reads.
import Foundation
import XCTest

@testable import TakeupKit

final class InfoPlistTests: XCTestCase {
    private func loadInfoPlist() throws -> [String: Any] {
        let url = try testInput(env: "TAKEUP_APP_INFO_PLIST", relative: "../../../TakeupApp/Support/Info.plist")
        let plist = try PropertyListSerialization.propertyList(from: Data(contentsOf: url), format: nil)
        return try XCTUnwrap(plist as? [String: Any])
    }

    func testBackgroundProcessingIsDeclared() throws {
        let info = try loadInfoPlist()
        XCTAssertEqual(info["UIBackgroundModes"] as? [String], ["processing"])
        XCTAssertEqual(info["BGTaskSchedulerPermittedIdentifiers"] as? [String],
                       [BackgroundPolicy.processingTaskIdentifier])
        XCTAssertEqual(info["UIFileSharingEnabled"] as? Bool, true)
        XCTAssertEqual(info["LSSupportsOpeningDocumentsInPlace"] as? Bool, true)
    }

    func testEngineSettingsComeFromTheBuildSettings() throws {
        var info = try loadInfoPlist()
        XCTAssertEqual(info["TakeupClientSecret"] as? String, "$(TAKEUP_CLIENT_SECRET)")
        XCTAssertEqual(info["TakeupAPIBase"] as? String, "$(TAKEUP_API_BASE)")
        XCTAssertEqual(info["TakeupUploadHosts"] as? String, "$(TAKEUP_UPLOAD_HOSTS)")
        XCTAssertEqual(info["TakeupAppClientId"] as? String, "$(TAKEUP_APP_CLIENT_ID)")
        XCTAssertEqual(info["TakeupApplicationsBase"] as? String, "$(TAKEUP_APPLICATIONS_BASE)")
        info["TakeupAppClientId"] = ""
        info["TakeupApplicationsBase"] = ""
        // As Xcode substitutes them with Config/Takeup.xcconfig and no Secrets.xcconfig: the
        // secret is empty, and the app reports that it is not configured.
        info["TakeupClientSecret"] = ""
        info["TakeupAPIBase"] = "https://api.frame.io"
        info["TakeupUploadHosts"] = ""
        info["CFBundleShortVersionString"] = "0.1.0"
        XCTAssertThrowsError(try EngineSettings(infoDictionary: info))
        info["TakeupClientSecret"] = "s"
        let settings = try EngineSettings(infoDictionary: info)
        XCTAssertEqual(settings.apiBase, "https://api.frame.io")
        XCTAssertEqual(settings.clientVersion, "0.1.0")
        XCTAssertEqual(settings.uploadHosts, [])
        XCTAssertNil(settings.appSignIn, "no client id: pairing only")
        // An app that signs in with Frame.io accounts only: no secret needed.
        info["TakeupClientSecret"] = ""
        info["TakeupAppClientId"] = "takeup-app"
        let signIn = try EngineSettings(infoDictionary: info)
        XCTAssertEqual(signIn.clientSecret, "")
        XCTAssertEqual(signIn.appSignIn?.clientId, "takeup-app")
        XCTAssertEqual(signIn.appSignIn?.redirectUris, [EngineSettings.defaultRedirectUri])
        XCTAssertNil(signIn.appSignIn?.applicationsBase)
    }
}
