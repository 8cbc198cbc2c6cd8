// JUnit 4 runner used by scripts/test-kotlin.sh: runs the test classes named on the command line
// (the binding suite in tests/kotlin and the Android modules' JVM unit tests under
// android/*/src/test/kotlin), prints one line per test and, last, exactly `N passed, M failed`
// (the line CI reads). Exits 1 if anything failed, nothing ran, or a class is missing.
// Same output as tests/kotlin/Main.kt, which runs the binding suite alone.
package io.takeup.android.jvmtest

import kotlin.system.exitProcess
import org.junit.runner.Description
import org.junit.runner.JUnitCore
import org.junit.runner.notification.Failure
import org.junit.runner.notification.RunListener

fun main(args: Array<String>) {
    val classes = args.map { name ->
        try {
            Class.forName(name)
        } catch (e: ClassNotFoundException) {
            println("FAIL no test class $name")
            println("0 passed, 1 failed")
            exitProcess(1)
        }
    }
    val failedTests = mutableSetOf<Description>()
    val core = JUnitCore()
    core.addListener(object : RunListener() {
        override fun testFailure(failure: Failure) {
            failedTests.add(failure.description)
            println("FAIL ${failure.description.className.substringAfterLast('.')}.${failure.description.methodName}: ${failure.message}")
            println(failure.trace.prependIndent("    "))
        }

        override fun testFinished(description: Description) {
            if (description !in failedTests) println("ok   ${description.className.substringAfterLast('.')}.${description.methodName}")
        }
    })
    val result = core.run(*classes.toTypedArray())
    val failed = result.failureCount
    val passed = result.runCount - failedTests.size
    System.out.flush()
    println("$passed passed, $failed failed")
    exitProcess(if (failed == 0 && passed > 0) 0 else 1)
}
