/* global AudioWorkletProcessor, registerProcessor -- AudioWorkletGlobalScope names */
// AudioWorklet that hands each 128-sample block of the microphone to the page (voice capture).
// A file served from the app's origin, because the window's CSP allows scripts only from 'self'.
class AliciaTap extends AudioWorkletProcessor {
  process(inputs) {
    const ch = inputs[0] && inputs[0][0];
    if (ch) this.port.postMessage(ch.slice(0));
    return true;
  }
}
registerProcessor('alicia-tap', AliciaTap);
