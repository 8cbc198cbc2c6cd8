// Runs the JUnit 4 tests and prints one line per test, then exactly `N passed, M failed` as the
// last line (the shape CI reads). Exits 1 if anything failed or nothing ran.
package io.takeup.core.test

import kotlin.system.exitProcess
import org.junit.runner.Description
import org.junit.runner.JUnitCore
import org.junit.runner.notification.Failure
import org.junit.runner.notification.RunListener

fun main() {
    val failedTests = mutableSetOf<Description>()
    val core = JUnitCore()
    core.addListener(object : RunListener() {
        override fun testFailure(failure: Failure) {
            failedTests.add(failure.description)
            println("FAIL ${failure.description.methodName}: ${failure.message}")
            println(failure.trace.prependIndent("    "))
        }

        override fun testFinished(description: Description) {
            if (description !in failedTests) println("ok   ${description.methodName}")
        }
    })
    val result = core.run(TakeupBindingsTest::class.java)
    val failed = result.failureCount
    val passed = result.runCount - failedTests.size
    System.out.flush()
    println("$passed passed, $failed failed")
    exitProcess(if (failed == 0 && passed > 0) 0 else 1)
}
