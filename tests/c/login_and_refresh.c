/*
 * A C client of the ssocreds ABI, compiled against the committed header: one device login, one
 * refresh of three profiles. The test that runs it points the library at the bundled fake (which
 * approves the login by itself after one poll) and checks the written file.
 *
 * usage: login_and_refresh CREDENTIALS_FILE ACCOUNT_ID ROLE_NAME
 */
#include "ssocreds.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int succeeded(const char *envelope) { return strncmp(envelope, "{\"ok\":true", 10) == 0; }

static int count(const char *haystack, const char *needle) {
    int n = 0;
    for (const char *p = strstr(haystack, needle); p != NULL; p = strstr(p + 1, needle)) n++;
    return n;
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: %s CREDENTIALS_FILE ACCOUNT_ID ROLE_NAME\n", argv[0]);
        return 2;
    }
    printf("ssocreds %s\n", ssocreds_version());

    char *started = ssocreds_login_start(
        "{\"environment\":\"FromC\",\"startUrl\":\"https://d-1234567890.awsapps.com/start\",\"region\":\"us-east-1\",\"useDeviceCode\":true}");
    int ok = succeeded(started) && strstr(started, "\"userCode\"") != NULL;
    printf("login_start: %s\n", ok ? "pending" : started);
    ssocreds_string_free(started);
    if (!ok) return 1;

    int logged_in = 0;
    for (int attempt = 0; attempt < 40 && !logged_in; attempt++) {
        char *polled = ssocreds_login_poll("{\"environment\":\"FromC\",\"waitMs\":500}");
        if (!succeeded(polled)) {
            printf("login_poll failed: %s\n", polled);
            ssocreds_string_free(polled);
            return 1;
        }
        logged_in = strstr(polled, "\"loggedIn\"") != NULL;
        ssocreds_string_free(polled);
    }
    if (!logged_in) return 1;
    printf("login_poll: loggedIn\n");

    char request[2048];
    snprintf(request, sizeof request,
             "{\"environment\":\"FromC\",\"credentialsFile\":\"%s\",\"defaultRoleName\":\"%s\",\"accounts\":["
             "{\"profile\":\"c-0\",\"accountId\":\"%s\"},"
             "{\"profile\":\"c-1\",\"accountId\":\"%s\",\"roleName\":\"%s\"},"
             "{\"profile\":\"c-2\",\"accountId\":\"%s\"}]}",
             argv[1], argv[3], argv[2], argv[2], argv[3], argv[2]);
    char *refreshed = ssocreds_refresh(request);
    int all = succeeded(refreshed) && count(refreshed, "\"status\":\"refreshed\"") == 3;
    printf("refresh: %s\n", all ? "3 refreshed" : refreshed);
    ssocreds_string_free(refreshed);

    char *bad = ssocreds_refresh(NULL);
    int rejected = strstr(bad, "\"code\":\"InvalidInput\"") != NULL;
    ssocreds_string_free(bad);
    ssocreds_string_free(NULL);
    printf("NULL request: %s\n", rejected ? "InvalidInput" : "NOT REJECTED");
    return all && rejected ? 0 : 1;
}
