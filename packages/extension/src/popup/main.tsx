import { render } from 'preact';
import { Popup } from './Popup.js';
import './popup.css';

// Every module the popup starts with has been loaded and run (npm run bench:extension reports it).
performance.mark('tessera:modules-loaded');
render(<Popup />, document.getElementById('app')!);
