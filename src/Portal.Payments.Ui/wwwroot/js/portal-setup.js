// Checks that the host page loads what the portal needs. Returns the names of the missing pieces (none: all is well).
export function check(probe) {
    const missing = [];
    if (!window.Radzen) {
        missing.push("radzen-script");
    }
    // A theme styles Radzen's icons (an icon font in a box); without one an icon is plain inline text.
    const icon = document.createElement("i");
    icon.className = "rzi";
    icon.setAttribute("aria-hidden", "true");
    (probe || document.body).appendChild(icon);
    const themed = getComputedStyle(icon).display !== "inline";
    icon.remove();
    if (!themed) {
        missing.push("radzen-theme");
    }
    if (probe && getComputedStyle(probe).getPropertyValue("--pp-stylesheet").trim() !== "loaded") {
        missing.push("portal-stylesheet");
    }
    // The components' own (scoped) styles come with the host's YourApp.styles.css bundle; set on the probe by them.
    if (probe && getComputedStyle(probe).getPropertyValue("--pp-scoped-styles").trim() !== "loaded") {
        missing.push("component-styles");
    }
    return missing;
}

// Writes each message to the browser console as an error, where a developer looks first.
export function report(messages) {
    for (const message of messages) {
        console.error("Portal.Payments: " + message);
    }
}

// The browser's time zone (an IANA id such as "Europe/Berlin"), for showing times in the user's zone; null when unknown.
export function timeZone() {
    try {
        return Intl.DateTimeFormat().resolvedOptions().timeZone || null;
    } catch {
        return null;
    }
}
