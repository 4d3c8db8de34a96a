// Keys the portal's inline forms answer to, for keyboard users: Enter in a date box submits its form as in any text box,
// and Escape cancels a form marked data-pp-escape-cancels (its data-pp-cancel button is pressed, which puts the focus back
// where the form came from). Importing the module is enough: the listeners are registered once per page, on the document
// and in the capture phase, so they act before Blazor's and Radzen's own keydown handlers (which listen on the document
// too, while bubbling).

// Radzen's popups (a date picker's calendar, a drop-down's list) are elements with the id "popup…", shown with display.
const popupSelector = '[id^="popup"], .rz-popup';

function shown(popup) {
    return !!popup && popup.style.display !== 'none' && popup.getClientRects().length > 0;
}

// The calendar of the Radzen date picker whose box is input (its popup's id is "popup" + the picker's id).
function calendarOf(input) {
    const picker = input.closest('.rz-datepicker');
    return picker && picker.id ? document.getElementById('popup' + picker.id) : null;
}

// Enter in a date box marked data-pp-enter-submits: Radzen opens the calendar and keeps the form from being submitted.
// The key is kept from both, so the browser does what Enter does in a text box (the typed date is taken, its form is
// submitted). Alt+Down still opens the calendar; while it is open, Enter is left to Radzen (it closes it).
function onEnter(e) {
    if (e.key !== 'Enter' || e.altKey || e.ctrlKey || e.metaKey || e.shiftKey || e.isComposing) return;
    const input = e.target;
    if (!(input instanceof HTMLInputElement) || !input.hasAttribute('data-pp-enter-submits')) return;
    if (shown(calendarOf(input))) return;
    e.stopPropagation();
}

// Escape in a form marked data-pp-escape-cancels presses its Cancel. An Escape that closes an open calendar or list in the
// form is that popup's only: Radzen closes it (asynchronously, so it is still shown now) and the form stays.
function onEscape(e) {
    if ((e.key !== 'Escape' && e.key !== 'Esc') || e.isComposing || !(e.target instanceof Element)) return;
    const form = e.target.closest('[data-pp-escape-cancels]');
    if (!form || e.target.closest(popupSelector)) return;
    if (e.target instanceof HTMLInputElement && shown(calendarOf(e.target))) return;
    for (const popup of form.querySelectorAll(popupSelector)) {
        if (shown(popup)) return;
    }
    const cancel = form.querySelector('[data-pp-cancel]');
    if (!cancel || cancel.disabled) return;
    e.preventDefault();
    e.stopPropagation();
    cancel.click();
}

if (!window.portalPaymentsFormKeys) {
    window.portalPaymentsFormKeys = true;
    document.addEventListener('keydown', onEnter, true);
    document.addEventListener('keydown', onEscape, true);
}

