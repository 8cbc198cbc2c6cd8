package io.takeup.android.signin

import org.junit.Assert.assertFalse
import org.junit.Assert.assertTrue
import org.junit.Test

class SignInRedirectTest {
    @Test
    fun onlyTheAppsRedirectWithAnAnswerIsASignIn() {
        assertTrue(SignInRedirect.isAnswer("io.takeup.app:/oauth2redirect?code=c&state=s"))
        assertTrue(SignInRedirect.isAnswer("IO.TAKEUP.APP:/oauth2redirect?error=access_denied&state=s"))
        assertFalse(SignInRedirect.isAnswer("io.takeup.app:/oauth2redirect"))
        assertFalse(SignInRedirect.isAnswer("io.takeup.app:/other?code=c"))
        assertFalse(SignInRedirect.isAnswer("https://evil.example/oauth2redirect?code=c"))
        assertFalse(SignInRedirect.isAnswer(null))
        assertFalse(SignInRedirect.isAnswer("not a uri at all ::"))
        assertTrue(SignInRedirect.isAnswer("http://127.0.0.1:5/cb?code=c", "http://127.0.0.1:5/cb"))
    }
}
