// Checks that the host page loads what the portal needs. Returns the names of the missing pieces (none: all is well).
export function check(probe) {
    const missing = [];
    if (!window.Radzen) {
        missing.push("radzen-script");
    }
    if (!getComputedStyle(document.documentElement).getPropertyValue("--rz-primary").trim()) {
        missing.push("radzen-theme");
    }
    if (probe && getComputedStyle(probe).getPropertyValue("--pp-stylesheet").trim() !== "loaded") {
        missing.push("portal-stylesheet");
    }
    return missing;
}

// Writes each message to the browser console as an error, where a developer looks first.
export function report(messages) {
    for (const message of messages) {
        console.error("Portal.Payments: " + message);
    }
}
