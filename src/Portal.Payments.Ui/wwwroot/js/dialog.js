// Portal dialogs and drawers: move focus in (to the element marked data-autofocus, else the dialog), keep Tab inside,
// and give focus back to what opened it on close.
const openers = new WeakMap();
const focusable = 'a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

function trapTab(event) {
    if (event.key !== 'Tab') return;
    const items = [...event.currentTarget.querySelectorAll(focusable)].filter(e => e.offsetParent !== null);
    if (items.length === 0) return;
    const first = items[0];
    const last = items[items.length - 1];
    if (event.shiftKey && (document.activeElement === first || document.activeElement === event.currentTarget)) {
        event.preventDefault();
        last.focus();
    } else if (!event.shiftKey && document.activeElement === last) {
        event.preventDefault();
        first.focus();
    }
}

export function open(dialog) {
    if (!dialog) return;
    openers.set(dialog, document.activeElement);
    dialog.addEventListener('keydown', trapTab);
    const target = dialog.querySelector('[data-autofocus]') || dialog;
    target.focus();
}

export function close(dialog) {
    if (!dialog) return;
    dialog.removeEventListener('keydown', trapTab);
    const opener = openers.get(dialog);
    openers.delete(dialog);
    if (opener instanceof HTMLElement && opener.isConnected) {
        opener.focus();
    }
}

// Inline panels (pay, schedule): remember what had the focus when one opened, and give it back when it closes.
export function remember(panel) {
    if (panel) openers.set(panel, document.activeElement);
}

export function restore(panel, fallbackSelector) {
    if (!panel) return;
    const opener = openers.get(panel);
    openers.delete(panel);
    if (opener instanceof HTMLElement && opener !== document.body && opener.isConnected && !opener.disabled) {
        opener.focus();
    } else if (fallbackSelector) {
        const fallback = document.querySelector(fallbackSelector);
        if (fallback instanceof HTMLElement) fallback.focus();
    }
}

// Whether the focus is inside the element (a menu asks once the focus has moved on).
export function holdsFocus(element) {
    return !!element && element.contains(document.activeElement);
}

// Focus the element marked data-focus="<name>" (a list's button, back from the form it opened).
export function focusMarked(name) {
    const element = document.querySelector(`[data-focus="${CSS.escape(name)}"]`);
    if (element instanceof HTMLElement) element.focus();
}

// Focus the first element matching the selector (the grid, when what had the focus was removed with the selection).
export function focusFirst(selector) {
    const element = document.querySelector(selector);
    if (element instanceof HTMLElement) element.focus();
}
