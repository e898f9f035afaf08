import { render } from 'preact';
import { Popup } from './Popup.js';
import './popup.css';

render(<Popup />, document.getElementById('app')!);
